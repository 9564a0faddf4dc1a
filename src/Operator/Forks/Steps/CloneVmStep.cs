using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// Within one organisation: a VirtualMachineClone of the source VirtualMachineSnapshot, named after the new VM
/// (<c>vmId</c>), which KubeVirt turns into the VM (Halted) and one restored volume per backed-up disk, named
/// <c>&lt;vmId&gt;-&lt;volume&gt;</c> (<see cref="KubeVirtNaming.PrefixTargetName"/>).
/// Progress: the clone's <c>status.phase</c> (Succeeded once the target VM exists). Terminal: phase Failed (KubeVirt
/// fails a clone only for good: a volume not backed up, the snapshot deleted, backend storage), the source commit gone
/// (<see cref="SourceGuard"/>), the VM deleted after the clone succeeded. Everything else KubeVirt retries forever, so
/// the fork's deadline bounds it. Rollback: the clone, the VM and the restored volumes, by name.
/// </summary>
public sealed class CloneVmStep(ForkServices services) : IForkStep
{
    public string Name => "CloneVM";

    public async Task<StepResult> RunAsync(ForkContext fork, CancellationToken ct)
    {
        var ns = fork.Namespace;
        var vmId = fork.VmId;
        var clone = services.Clones.Get(ns, vmId);
        if (clone is null)
        {
            clone = await services.CreateOrAdoptAsync(
                KubeVirtTypes.VirtualMachineClone, KubeVirtObjects.Clone(ns, vmId, fork.Source.Snapshot!, vmId, fork.Labels()), fork, ct);
            services.Clones.Wrote(clone);
        }

        // Once: a cached object parses its fields on every read.
        var status = clone.Status;
        var phase = (string?)status?["phase"];
        if (phase == "Failed")
        {
            throw new ForkFailedException(ForkReasons.CloneFailed, $"VirtualMachineClone {ns}/{vmId} failed: {SourceGuard.ConditionMessage(status, "Ready")}");
        }

        if (phase != "Succeeded")
        {
            await SourceGuard.RequireAsync(services, fork, ct);
            return StepResult.Waiting(services.Deadline(fork, services.Options.CloneTimeout, $"VirtualMachineClone {ns}/{vmId} did not succeed"));
        }

        if (services.Vms.Get(ns, vmId) is null && await services.Client.TryGetAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns, vmId, ct) is null)
        {
            throw new ForkFailedException(ForkReasons.VmFailed, $"VirtualMachineClone {ns}/{vmId} succeeded but VirtualMachine {ns}/{vmId} does not exist (deleted?)");
        }

        return StepResult.Done;
    }

    public async Task RollbackAsync(ForkContext fork, CancellationToken ct)
    {
        if (fork.Status.VmId is not { } vmId)
        {
            return;
        }

        var ns = fork.Namespace;
        await services.DeleteAsync(KubeVirtTypes.VirtualMachine, ns, vmId, ct);
        await services.DeleteAsync(KubeVirtTypes.VirtualMachineClone, ns, vmId, ct);
        foreach (var volume in fork.Status.Resolved?.Volumes ?? [])
        {
            // The inner restore makes PVCs (or DataVolumes, which own theirs) under these names; no other object has them.
            var name = KubeVirtNaming.PrefixTargetName(vmId, volume);
            await services.DeleteAsync(KubeVirtTypes.DataVolume, ns, name, ct);
            await services.DeleteAsync(KubeVirtTypes.PersistentVolumeClaim, ns, name, ct);
        }
    }
}
