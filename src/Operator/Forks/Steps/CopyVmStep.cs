using System.Text.Json.Nodes;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// Across organisations (KubeVirt clones only within a namespace): one CDI DataVolume per backed-up disk, cloned from
/// the source commit's VolumeSnapshot in the source namespace and named <see cref="DataVolumeName"/>, plus a
/// VirtualMachine built from the VM copy in the source VirtualMachineSnapshotContent (identity stripped, disks rewired,
/// running). Whether that VM can live in the target namespace at all is decided before anything is created
/// (<see cref="Portability"/>).
/// Progress: each DataVolume's <c>status.phase</c> until Succeeded. Terminal: phase Failed; CDI reporting the source
/// snapshot gone (<c>CloneWithoutSource</c>); the source commit gone (<see cref="SourceGuard"/>). Rollback: the VM and
/// the DataVolumes (which own their PVCs), by name.
/// </summary>
public sealed class CopyVmStep(ForkServices services) : IForkStep
{
    public string Name => "CopyVM";

    public async Task<StepResult> RunAsync(ForkContext fork, CancellationToken ct)
    {
        var ns = fork.Namespace;
        var vmId = fork.VmId;
        var created = new Dictionary<string, GenericObject>(StringComparer.Ordinal);
        if (services.Vms.Get(ns, vmId) is null)
        {
            var content = await services.SourceContentAsync(fork, ct);
            var byVolume = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var backup in (content["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)backup["volumeName"] is not { } volumeName || backup["volumeSnapshotName"] is null)
                {
                    continue;
                }

                var dvName = DataVolumeName(vmId, volumeName);
                byVolume[volumeName] = dvName;
                if (services.Caches.DataVolumes.Get(ns, dvName) is null)
                {
                    created[dvName] = await services.CreateOrAdoptAsync(
                        KubeVirtTypes.DataVolume, KubeVirtObjects.DataVolume(ns, dvName, fork.SourceNamespace, backup, fork.Labels()), fork, ct);
                }
            }

            var sourceVm = (JsonObject)content["source"]!["virtualMachine"]!;
            var vm = await services.CreateOrAdoptAsync(
                KubeVirtTypes.VirtualMachine, KubeVirtObjects.VirtualMachineFromContent(sourceVm, ns, vmId, byVolume, fork.Labels()), fork, ct);
            services.Vms.Wrote(vm);
        }

        foreach (var dvName in DataVolumeNames(fork))
        {
            var dv = services.Caches.DataVolumes.Get(ns, dvName) ?? created.GetValueOrDefault(dvName);
            if (dv is null)
            {
                // Created in an earlier pass, its ADDED not delivered yet: that event wakes the fork.
                return StepResult.Waiting(services.Deadline(fork, services.Options.CloneTimeout, $"DataVolume {ns}/{dvName} was not populated"));
            }

            // Once: a cached object parses its fields on every read.
            var status = dv.Status;
            var phase = (string?)status?["phase"];
            if (phase == "Failed")
            {
                throw new ForkFailedException(ForkReasons.CloneFailed, $"DataVolume {ns}/{dvName} failed: {Problem(status)}");
            }

            if (phase == "Succeeded")
            {
                continue;
            }

            if (HasReason(status, "CloneWithoutSource"))
            {
                throw new ForkFailedException(ForkReasons.SourceLost, $"DataVolume {ns}/{dvName}: the source snapshot is gone ({Problem(status)})");
            }

            await SourceGuard.RequireAsync(services, fork, ct);
            return StepResult.Waiting(services.Deadline(fork, services.Options.CloneTimeout, $"DataVolume {ns}/{dvName} was not populated (phase {phase ?? "none"})"));
        }

        return StepResult.Done;
    }

    public async Task RollbackAsync(ForkContext fork, CancellationToken ct)
    {
        var ns = fork.Namespace;
        if (fork.Status.VmId is { } vmId)
        {
            await services.DeleteAsync(KubeVirtTypes.VirtualMachine, ns, vmId, ct);
        }

        if (fork.Status.Resolved?.Volumes is not null && fork.Status.VmId is not null)
        {
            foreach (var name in DataVolumeNames(fork))
            {
                await services.DeleteAsync(KubeVirtTypes.DataVolume, ns, name, ct);
            }

            return;
        }

        // A fork recorded by an older operator, without its volume names: find its DataVolumes by label.
        var labelled = await services.Client.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, ns, ct, labelSelector: $"{VersGroup.ForkUidLabel}={fork.Uid}");
        foreach (var dv in labelled.Items)
        {
            await services.DeleteAsync(KubeVirtTypes.DataVolume, ns, dv.Metadata.Name, ct);
        }
    }

    /// <summary>DataVolume name for one disk of the new VM: "&lt;vmId&gt;-&lt;volume&gt;", shortened with a hash when too long.</summary>
    public static string DataVolumeName(string vmId, string volumeName)
    {
        var name = $"{vmId}-{volumeName.ToLowerInvariant()}";
        if (KubernetesNames.IsDnsLabel(name))
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(volumeName)))[..16];
        return $"{vmId}-{hash}";
    }

    private static IEnumerable<string> DataVolumeNames(ForkContext fork) =>
        (fork.Source.Volumes ?? []).Select(volume => DataVolumeName(fork.VmId, volume));

    private static bool HasReason(JsonObject? status, string reason) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => (string?)c["reason"] == reason);

    /// <summary>What CDI says is wrong: the Running condition carries the error, Ready and Bound the state.</summary>
    private static string Problem(JsonObject? status)
    {
        foreach (var type in (string[])["Running", "Bound", "Ready"])
        {
            var message = SourceGuard.ConditionMessage(status, type);
            if (message != "no details" && message != "")
            {
                return message;
            }
        }

        return "no details";
    }
}
