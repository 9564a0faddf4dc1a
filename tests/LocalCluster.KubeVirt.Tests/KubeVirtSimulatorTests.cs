using Vers.LocalCluster.KubeVirt.Admission;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using static Vers.LocalCluster.KubeVirt.Tests.Snapshots.SnapshotScenarios;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>The simulator as a whole (KubeVirtSimulator.cs): what it installs, and that what its controllers write is what upstream's schemas accept.</summary>
public sealed class KubeVirtSimulatorTests
{
    /// <summary>A CSI driver install: the default class (WaitForFirstConsumer) with its default VolumeSnapshotClass, and a class without snapshots.</summary>
    [Fact]
    public async Task Starting_installs_the_storage_classes_and_the_default_snapshot_class()
    {
        await using var h = await StartAsync();

        var local = await h.ReadAsync(T.StorageClass, null, DefaultClass);
        Assert.Equal(("csi.localcluster.vers.sh", "WaitForFirstConsumer", "true"),
            (local.At("provisioner"), local.At("volumeBindingMode"), local.Annotation("storageclass.kubernetes.io/is-default-class")));
        var nosnap = await h.ReadAsync(T.StorageClass, null, NoSnapshotClass);
        Assert.Equal(("nosnap.csi.localcluster.vers.sh", "Immediate"), (nosnap.At("provisioner"), nosnap.At("volumeBindingMode")));
        var snapshotClass = await h.ReadAsync(T.VolumeSnapshotClass, null, SnapshotClass);
        Assert.Equal(("csi.localcluster.vers.sh", "Delete", "true"),
            (snapshotClass.At("driver"), snapshotClass.At("deletionPolicy"), snapshotClass.Annotation("snapshot.storage.kubernetes.io/is-default-class")));
    }

    /// <summary>virt-operator's install: kubevirt/kubevirt, Deployed at v1.9.0 and Available.</summary>
    [Fact]
    public async Task Starting_installs_a_deployed_KubeVirt_resource()
    {
        await using var h = await StartAsync();

        var kubeVirt = await h.ReadAsync(SimulatedKubeVirt.Type, "kubevirt", "kubevirt");

        Assert.Equal(("Deployed", "v1.9.0"), (kubeVirt.Phase(), kubeVirt.At("status.observedKubeVirtVersion")));
        Assert.Equal("True:AllComponentsReady:All components are ready.", kubeVirt.Condition("Available"));
    }

    /// <summary>Every KubeVirt, CDI and CSI snapshot object a VM, its snapshot and a clone leave behind validates against the upstream OpenAPI definitions.</summary>
    [Fact]
    public async Task Every_object_of_a_snapshot_and_clone_validates_against_the_upstream_schemas()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");

        await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));
        await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Phase() == "Succeeded", "Succeeded");
        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", OtherNs, Ns, $"vmsnapshot-{(await h.ReadAsync(T.VirtualMachineSnapshot, Ns, "snap")).Metadata.Uid}-volume-root", size: null));
        await h.WaitForAsync(T.DataVolume, OtherNs, "copy", dv => dv.Phase() == "Succeeded", "Succeeded");

        await h.AssertAllValidAsync(Ns, OtherNs);
    }
}
