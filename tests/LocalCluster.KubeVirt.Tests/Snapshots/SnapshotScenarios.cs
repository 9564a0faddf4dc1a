using System.Text.Json.Nodes;
using Vers.Kube;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Snapshots;

/// <summary>The starting points the snapshot, restore and clone tests share.</summary>
internal static class SnapshotScenarios
{
    /// <summary>
    /// <see cref="KubeVirtSamples.VirtualMachine"/> (or <paramref name="vm"/>) started and Running: its data claim created of
    /// <paramref name="dataClass"/>, its disks bound and its root DataVolume populated.
    /// </summary>
    public static async Task<GenericObject> RunningVmAsync(KubeVirtHarness h, string name, JsonObject? vm = null, string dataClass = DefaultClass)
    {
        await h.CreateAsync(T.PersistentVolumeClaim, Claim($"{name}-data", Ns, storageClass: dataClass));
        await h.CreateAsync(T.VirtualMachine, vm ?? VirtualMachine(name, Ns, runStrategy: "Always"));
        await h.WaitForAsync(T.DataVolume, Ns, $"{name}-root", dv => dv.Phase() == "Succeeded", "Succeeded");
        return await h.WaitForAsync(T.VirtualMachine, Ns, name, v => v.PrintableStatus() == "Running", "Running");
    }

    /// <summary>A VirtualMachineSnapshot of the VM, once ready to use.</summary>
    public static async Task<GenericObject> ReadySnapshotAsync(KubeVirtHarness h, string name, string vmName)
    {
        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot(name, Ns, vmName));
        return await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, name, s => s.ReadyToUse(), "readyToUse");
    }

    /// <summary>Waits until the VM is not held by any snapshot: no <c>status.snapshotInProgress</c> and no source-protection finalizer.</summary>
    public static Task<GenericObject> UnlockedAsync(KubeVirtHarness h, string vmName) =>
        h.WaitForAsync(T.VirtualMachine, Ns, vmName,
            vm => vm.At("status.snapshotInProgress") is null && !vm.Finalizers().Contains(SourceFinalizer), "unlocked");

    public const string SourceFinalizer = "snapshot.kubevirt.io/snapshot-source-protection";

    /// <summary>Each distinct value of <paramref name="read"/> a recording went through, in order.</summary>
    public static List<string> Sequence(IEnumerable<GenericObject> versions, Func<GenericObject, string?> read)
    {
        var seen = new List<string>();
        foreach (var value in versions.Select(read).OfType<string>().Where(v => v.Length > 0))
        {
            if (seen.Count == 0 || seen[^1] != value)
            {
                seen.Add(value);
            }
        }

        return seen;
    }
}
