using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt;

namespace Vers.LocalCluster.Tests.KubeVirt;

public sealed class KubeVirtObjectBuilderTests
{
    [Fact]
    public void Snapshot_content_backs_up_pvc_volumes_with_their_storage()
    {
        var vm = KubeVirtSamples.VirtualMachine("vm1", "org-a");
        var dataDv = KubeVirtSamples.DataVolumeFromSnapshot("vm1-data", "org-a", "x", "y");
        dataDv["spec"]!["storage"]!["resources"]!["requests"]!["storage"] = "7Gi";

        var spec = KubeVirtObjectBuilder.SnapshotContentSpec("s1", "uid-1", vm, name => name == "vm1-data" ? dataDv : null);

        var backups = spec["volumeBackups"]!.AsArray();
        Assert.Equal(["root", "data"], backups.Select(b => (string)b!["volumeName"]!));
        Assert.Equal("vmsnapshot-uid-1-volume-root", (string)backups[0]!["volumeSnapshotName"]!);
        Assert.Equal("vm1-root", (string)backups[0]!["persistentVolumeClaim"]!["metadata"]!["name"]!);
        Assert.Equal("5Gi", (string)backups[0]!["persistentVolumeClaim"]!["spec"]!["resources"]!["requests"]!["storage"]!);
        Assert.Equal("local-path", (string)backups[0]!["persistentVolumeClaim"]!["spec"]!["storageClassName"]!);
        Assert.Equal("7Gi", (string)backups[1]!["persistentVolumeClaim"]!["spec"]!["resources"]!["requests"]!["storage"]!);
        Assert.Equal("s1", (string)spec["virtualMachineSnapshotName"]!);
        var copy = spec["source"]!["virtualMachine"]!.AsObject();
        Assert.Null(copy["apiVersion"]);
        Assert.Equal("vm1", (string)copy["metadata"]!["name"]!);
        Assert.Equal("demo", (string)copy["metadata"]!["labels"]!["app"]!);
    }

    [Fact]
    public void Storage_defaults_to_10Gi_when_nothing_describes_the_claim()
    {
        var storage = KubeVirtObjectBuilder.StorageFor(KubeVirtSamples.VirtualMachine("vm1", "org-a"), "vm1-data", _ => null);

        Assert.Equal(VolumeStorage.Default, storage with { AccessModes = VolumeStorage.Default.AccessModes });
        Assert.Equal("10Gi", storage.Size);
    }

    [Fact]
    public void Clone_target_is_halted_identity_stripped_and_rewired()
    {
        var vm = KubeVirtSamples.VirtualMachine("vm1", "org-a", runStrategy: "Always");
        var contentVm = KubeVirtObjectBuilder.SnapshotVmCopy(vm);
        var before = contentVm.ToJsonString();

        var target = KubeVirtObjectBuilder.CloneTargetVm(contentVm, "fork", "org-a", "cuid", ["root", "data"]);

        Assert.Equal(before, contentVm.ToJsonString());
        Assert.Equal("fork", (string)target["metadata"]!["name"]!);
        Assert.Equal("Halted", (string)target["spec"]!["runStrategy"]!);
        var domain = target["spec"]!["template"]!["spec"]!["domain"]!;
        Assert.Null(domain["devices"]!["interfaces"]![0]!["macAddress"]);
        Assert.Null(domain["firmware"]!["uuid"]);
        Assert.Null(domain["firmware"]!["serial"]);
        var volumes = target["spec"]!["template"]!["spec"]!["volumes"]!.AsArray();
        Assert.Equal("restore-cuid-root", (string)volumes[0]!["dataVolume"]!["name"]!);
        Assert.Equal("restore-cuid-data", (string)volumes[1]!["persistentVolumeClaim"]!["claimName"]!);
        Assert.NotNull(volumes[2]!["cloudInitNoCloud"]);
        Assert.Null(target["spec"]!["dataVolumeTemplates"]);
        Assert.True(KubeVirtSchemaValidator.Validate(target).IsValid, KubeVirtSchemaValidator.Validate(target).ToString());
    }

    [Fact]
    public void Restore_data_volume_points_at_the_volume_snapshot()
    {
        var pvcSpec = VolumeStorage.Default.ToPvcSpec();

        var dv = KubeVirtObjectBuilder.RestoreDataVolume("restore-x-root", "org-b", "org-a", "vmsnapshot-u-volume-root", pvcSpec);

        Assert.Equal("org-a", (string)dv["spec"]!["source"]!["snapshot"]!["namespace"]!);
        Assert.Equal("10Gi", (string)dv["spec"]!["storage"]!["resources"]!["requests"]!["storage"]!);
        Assert.True(KubeVirtSchemaValidator.Validate(dv).IsValid, KubeVirtSchemaValidator.Validate(dv).ToString());
    }

    [Fact]
    public void Generated_clone_target_names_are_deterministic_and_kubernetes_valid()
    {
        var a = KubeVirtNames.GeneratedCloneTarget("vm1", "7d4c6c3e-1111-2222-3333-444455556666");
        var b = KubeVirtNames.GeneratedCloneTarget("vm1", "7d4c6c3e-1111-2222-3333-444455556666");
        var c = KubeVirtNames.GeneratedCloneTarget("vm1", "00000000-1111-2222-3333-444455556666");

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Matches("^clone-vm1-[a-z0-9]{5}$", a);
        Assert.Equal("vmsnapshot-content-u1", KubeVirtNames.SnapshotContent("u1"));
        Assert.Equal("tmp-snapshot-u1", KubeVirtNames.TemporarySnapshot("u1"));
    }

    [Fact]
    public void Fault_injection_options_fail_once_or_always()
    {
        var options = new SimulatorOptions().FailNext("DataVolume").SetDelay("VirtualMachineClone", TimeSpan.FromSeconds(3));

        Assert.True(options.TakeFailure("DataVolume"));
        Assert.False(options.TakeFailure("DataVolume"));
        options.FailAll("DataVolume");
        Assert.True(options.TakeFailure("DataVolume"));
        Assert.True(options.TakeFailure("DataVolume"));
        options.FailAll("DataVolume", false);
        Assert.False(options.TakeFailure("DataVolume"));
        Assert.Equal(TimeSpan.FromSeconds(3), options.DelayFor("VirtualMachineClone"));
        Assert.Equal(TimeSpan.Zero, options.DelayFor("DataVolume"));
    }
}
