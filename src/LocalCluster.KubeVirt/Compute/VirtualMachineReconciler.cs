using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Compute;

/// <summary>
/// Plays virt-controller's VirtualMachine status (pkg/virt-controller/watch/vm/vm.go <c>setPrintableStatus</c>, first
/// match wins: Terminating, DataVolumeError, Provisioning, Stopped, ErrorUnschedulable, ErrorPvcNotFound,
/// WaitingForVolumeBinding, Starting, Running — upstream ranks ErrorUnschedulable before Provisioning, but its launcher pod
/// only exists once the volumes are provisioned), the VM's DataVolumes from <c>dataVolumeTemplates</c>, and the
/// parts of a start that storage sees: the launcher pod's node is chosen once the VM may be scheduled, which is what
/// lets WaitForFirstConsumer claims bind (<c>volume.kubernetes.io/selected-node</c>). No VirtualMachineInstance or pod
/// is made: a started VM is Starting for one progress step, then Running. It also keeps
/// <c>status.volumeSnapshotStatuses</c> as the snapshot controller computes it (snapshot.go
/// <c>updateVolumeSnapshotStatuses</c>). <c>--sim-fault unschedulable=D</c>: a VM that starts reports
/// ErrorUnschedulable with the scheduler's message for D, then is scheduled.
/// </summary>
internal sealed class VirtualMachineReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "VirtualMachine";
    private const string Component = "virtualmachine-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject vm, CancellationToken ct)
    {
        vm = ctx.Newest(KubeVirtTypes.VirtualMachine, vm);
        var ns = vm.Metadata.NamespaceProperty;
        var spec = vm.Spec ?? [];
        var status = vm.Status;
        var runStrategy = (string?)spec["runStrategy"] ?? ((bool?)spec["running"] == true ? "Always" : "Halted");
        var runs = runStrategy is "Always" or "RerunOnFailure" or "Once";
        var volumes = (spec["template"]?["spec"]?["volumes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (vm.Metadata.DeletionTimestamp is not null)
        {
            await WriteAsync(vm, "Terminating", runStrategy, volumes, null, ct);
            return ReconcileResult.Done;
        }

        await EnsureTemplateDataVolumesAsync(vm, ct);
        var dataVolumes = volumes.Select(v => (string?)v["dataVolume"]?["name"]).OfType<string>()
            .Select(name => ctx.Get(KubeVirtTypes.DataVolume, ns, name)).OfType<GenericObject>().Select(dv => dv.Status).ToList();
        var claims = volumes.Select(SnapshotClasses.ClaimOf).OfType<string>().Distinct().Select(name => (Name: name, Claim: SnapshotClasses.Claim(ctx, ns, name))).ToList();

        string printable;
        JsonObject? unschedulable = null;
        var result = ReconcileResult.Done;
        if (runs && (string?)status?["printableStatus"] == "Running" && claims.All(c => (string?)c.Claim?.Status?["phase"] == "Bound"))
        {
            // A running VMI stays Running whatever its DataVolumes do later (Running ranks above DataVolumeError).
            printable = "Running";
        }
        else if (dataVolumes.Any(s => (string?)s?["phase"] == "Failed" || RunningError(s)))
        {
            printable = "DataVolumeError";
        }
        else if (dataVolumes.Any(s => (string?)s?["phase"] is not ("Succeeded" or "PendingPopulation") && (BoundTrue(s) || (string?)s?["phase"] != "WaitForFirstConsumer")))
        {
            printable = "Provisioning";
        }
        else if (!runs)
        {
            printable = "Stopped";
        }
        else if (ctx.Remaining(vm, "schedule", ctx.Options.Unschedulable) is var waitNode && waitNode > TimeSpan.Zero)
        {
            printable = "ErrorUnschedulable";
            unschedulable = ctx.Condition(status, "PodScheduled", false, "Unschedulable",
                "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
            result = ReconcileResult.After(waitNode);
        }
        else if (claims.Any(c => c.Claim is null))
        {
            printable = "ErrorPvcNotFound";
        }
        else if (claims.Any(c => (string?)c.Claim!.Status?["phase"] != "Bound"))
        {
            printable = "WaitingForVolumeBinding";
            await ScheduleAsync(claims.Select(c => c.Claim!), ct);
        }
        else if ((string?)status?["printableStatus"] != "Running" && ctx.Remaining(Kind, vm, "start") is var left && left > TimeSpan.Zero)
        {
            printable = "Starting";
            result = ReconcileResult.After(left);
        }
        else
        {
            printable = "Running";
        }

        await WriteAsync(vm, printable, runStrategy, volumes, unschedulable, ct);
        return result;
    }

    /// <summary>
    /// The launcher pod is scheduled to the node: kube-scheduler's VolumeBinding plugin records the node on the
    /// WaitForFirstConsumer claims it uses, which lets the provisioner act.
    /// </summary>
    private async Task ScheduleAsync(IEnumerable<GenericObject> claims, CancellationToken ct)
    {
        foreach (var claim in claims)
        {
            if ((string?)claim.Status?["phase"] == "Bound" || claim.Metadata.Annotations?.ContainsKey(StorageKeys.SelectedNode) == true)
            {
                continue;
            }

            await ctx.PatchAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [StorageKeys.SelectedNode] = SimulatedStorage.Node } },
            }, ct);
        }
    }

    private async Task WriteAsync(GenericObject vm, string printable, string runStrategy, List<JsonObject> volumes, JsonObject? podScheduled, CancellationToken ct)
    {
        var status = vm.Status;
        var running = printable == "Running";
        var ready = running
            ? ctx.Condition(status, "Ready", true, null, "")
            : printable is "Starting" or "ErrorUnschedulable" or "WaitingForVolumeBinding" or "ErrorPvcNotFound"
                ? ctx.Condition(status, "Ready", false, "PodNotExists", "virt-launcher pod has not yet been scheduled")
                : ctx.Condition(status, "Ready", false, "VMINotExists", "VMI does not exist");
        var conditions = new JsonArray(ready);
        if (podScheduled is not null)
        {
            conditions.Add(podScheduled);
        }

        var written = await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachine, vm, new JsonObject
        {
            ["printableStatus"] = printable,
            ["created"] = printable is "Starting" or "Running" or "ErrorUnschedulable" or "ErrorPvcNotFound",
            ["ready"] = running,
            ["runStrategy"] = runStrategy,
            ["conditions"] = conditions,
            ["volumeSnapshotStatuses"] = new JsonArray([.. volumes.Select(v => VolumeSnapshotStatus(vm.Metadata.NamespaceProperty, v))]),
        }, ct);
        if (!ReferenceEquals(written, vm) && printable == "ErrorUnschedulable" && (string?)status?["printableStatus"] != printable)
        {
            await ctx.Events(Component).WarningAsync(vm, "FailedScheduling", "Schedule", (string?)podScheduled?["message"] ?? "", ct);
        }
    }

    /// <summary>snapshot.go <c>getVolumeSnapshotStatus</c>: whether KubeVirt can snapshot the volume, and why not.</summary>
    private JsonNode VolumeSnapshotStatus(string ns, JsonObject volume)
    {
        var name = (string?)volume["name"] ?? "";
        if (SnapshotClasses.ClaimOf(volume) is not { } claimName)
        {
            return Disabled(name, $"Snapshot is not supported for this volumeSource type [{name}]");
        }

        var claim = SnapshotClasses.Claim(ctx, ns, claimName);
        if (claim is null)
        {
            return Disabled(name, "PVC not found");
        }

        if ((string?)claim.Spec?["storageClassName"] is not { } className)
        {
            return Disabled(name, "volume type has no StorageClass defined");
        }

        var (snapshotClass, error) = SnapshotClasses.For(ctx, className);
        if (error is not null)
        {
            return Disabled(name, error);
        }

        return snapshotClass is null
            ? Disabled(name, $"No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [{className}] [{name}]")
            : new JsonObject { ["name"] = name, ["enabled"] = true };

        static JsonObject Disabled(string name, string reason) => new() { ["name"] = name, ["enabled"] = false, ["reason"] = reason };
    }

    /// <summary>virt-controller creates the DataVolumes of <c>spec.dataVolumeTemplates</c>, owned by the VM.</summary>
    private async Task EnsureTemplateDataVolumesAsync(GenericObject vm, CancellationToken ct)
    {
        if (vm.Spec?["dataVolumeTemplates"] is not JsonArray templates)
        {
            return;
        }

        var ns = vm.Metadata.NamespaceProperty;
        foreach (var template in templates.OfType<JsonObject>())
        {
            var name = (string?)template["metadata"]?["name"];
            if (name is null || ctx.Get(KubeVirtTypes.DataVolume, ns, name) is not null)
            {
                continue;
            }

            var metadata = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(vm)),
            };
            if (template["metadata"]?["labels"] is JsonObject labels)
            {
                metadata["labels"] = labels.DeepClone();
            }

            if (template["metadata"]?["annotations"] is JsonObject annotations)
            {
                metadata["annotations"] = annotations.DeepClone();
            }

            await ctx.CreateOrGetAsync(KubeVirtTypes.DataVolume, new JsonObject
            {
                ["apiVersion"] = KubeVirtTypes.DataVolume.ApiVersion,
                ["kind"] = "DataVolume",
                ["metadata"] = metadata,
                ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
            }, ct);
        }
    }

    /// <summary>pkg/storage/types/dv.go: a DataVolume whose Running condition is False with reason Error or ImagePullFailed is in error.</summary>
    private static bool RunningError(JsonObject? status) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => (string?)c["type"] == "Running" && (string?)c["status"] == "False" && (string?)c["reason"] is "Error" or "ImagePullFailed");

    private static bool BoundTrue(JsonObject? status) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => (string?)c["type"] == "Bound" && (string?)c["status"] == "True");
}
