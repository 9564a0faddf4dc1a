using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Vers.ApiShim.Hosting;
using Vers.Operator.Forks;
using Vers.Kube;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Vms;

/// <summary>A VM as Vers' <c>GET /api/v1/vms</c> lists it (the Go SDK's VM).</summary>
[Description("A virtual machine of your organisation")]
public sealed record VmInfo(
    [property: JsonPropertyName("vm_id"), Description("The VM's id: the name of its KubeVirt VirtualMachine")] string VmId,
    [property: JsonPropertyName("owner_id"), Description("The organisation that owns the VM (the uid of its namespace)")] string OwnerId,
    [property: JsonPropertyName("created_at"), Description("When the VM was created (RFC 3339)")] string CreatedAt,
    [property: JsonPropertyName("state"), Description("booting, running, paused, sleeping (stopped) or dead")] string State);

/// <summary>
/// The org's VirtualMachines, from one informer over all namespaces that keeps only what the list shows (name, uid,
/// creation time, printable status): no API request per call.
/// </summary>
public sealed class VmCatalog(ResourceInformer<GenericObject> vms, ResourceInformer<V1Namespace> namespaces, OrgDirectory orgs)
{
    /// <summary>The org's VMs, oldest first; null when the org has no namespace.</summary>
    public IReadOnlyList<VmInfo>? Of(string org)
    {
        if (orgs.NamespaceOf(org) is not { } ns)
        {
            return null;
        }

        var owner = namespaces.Get(null, ns)?.Metadata.Uid ?? "";
        return vms.List(ns)
            .Where(vm => vm.Metadata.DeletionTimestamp is null)
            .OrderBy(vm => vm.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(vm => vm.Metadata.Name, StringComparer.Ordinal)
            .Select(vm => new VmInfo(vm.Metadata.Name, owner, Timestamps.Format(vm.Metadata.CreationTimestamp) ?? "", State((string?)vm.Status?["printableStatus"])))
            .ToList();
    }

    /// <summary>
    /// Vers' VM state for KubeVirt's printable status: Running and Paused as they are; Stopped and Stopping are
    /// sleeping (they keep their disks and can start again); terminating and the error states KubeVirt does not
    /// recover from by itself are dead; the rest (Provisioning, Starting, WaitingForVolumeBinding, Migrating,
    /// ErrorUnschedulable, which KubeVirt retries, or no status yet) is booting.
    /// </summary>
    public static string State(string? printableStatus) => printableStatus switch
    {
        "Running" => "running",
        "Paused" => "paused",
        "Stopped" or "Stopping" => "sleeping",
        "Terminating" or "CrashLoopBackOff" or "ErrImagePull" or "ImagePullBackOff" or "ErrorPvcNotFound" or "ErrorDataVolumeNotFound" or "DataVolumeError" or "Unknown" => "dead",
        _ => "booting",
    };

    /// <summary>
    /// Informer transform: a VirtualMachine reduced to what the list needs, so a cluster's worth of VM specs is not held
    /// in the API's memory.
    /// </summary>
    public static IKubernetesObject<V1ObjectMeta> Slim(IKubernetesObject<V1ObjectMeta> obj)
    {
        var vm = (GenericObject)obj;
        var status = new JsonObject();
        if (vm.Status?["printableStatus"] is JsonValue printable)
        {
            status["printableStatus"] = printable.DeepClone();
        }

        return new GenericObject
        {
            ApiVersion = vm.ApiVersion,
            Kind = vm.Kind,
            Metadata = new V1ObjectMeta
            {
                Name = vm.Metadata.Name,
                NamespaceProperty = vm.Metadata.NamespaceProperty,
                Uid = vm.Metadata.Uid,
                ResourceVersion = vm.Metadata.ResourceVersion,
                CreationTimestamp = vm.Metadata.CreationTimestamp,
                DeletionTimestamp = vm.Metadata.DeletionTimestamp,
            },
            Fields = new JsonObject { ["status"] = status },
        };
    }
}
