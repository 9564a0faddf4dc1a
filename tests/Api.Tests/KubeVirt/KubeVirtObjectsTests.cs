using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.LocalCluster.KubeVirt;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.Api.Tests.KubeVirt;

public sealed class KubeVirtObjectsTests
{
    private static readonly Dictionary<string, string> ForkLabels = new() { ["vers.sh/fork-uid"] = "uid-1", ["app.kubernetes.io/managed-by"] = "vers-operator" };

    /// <summary>
    /// A source VM as a Vers user would have it: a root disk from a dataVolumeTemplate, a data disk on a plain PVC,
    /// a cloud-init disk (not backed up), a fixed MAC, firmware identity, an instancetype revision and running: true.
    /// </summary>
    private static JsonObject SourceVm() => JsonNode.Parse("""
        {
          "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
          "metadata": { "name": "node-base", "namespace": "vers",
                        "labels": { "app.kubernetes.io/name": "node-base", "vers.sh/fork-uid": "someone-elses" } },
          "spec": {
            "running": true,
            "instancetype": { "kind": "VirtualMachineClusterInstancetype", "name": "u1.medium", "revisionName": "node-base-u1.medium-1" },
            "dataVolumeTemplates": [
              { "metadata": { "name": "node-base-rootdisk" },
                "spec": { "source": { "registry": { "url": "docker://quay.io/containerdisks/node:latest" } },
                          "storage": { "accessModes": ["ReadWriteMany"], "storageClassName": "fast",
                                       "resources": { "requests": { "storage": "20Gi" } } } } },
              { "metadata": { "name": "scratch-template" },
                "spec": { "source": { "blank": {} }, "storage": { "resources": { "requests": { "storage": "1Gi" } } } } }
            ],
            "template": {
              "metadata": { "labels": { "kubevirt.io/domain": "node-base" } },
              "spec": {
                "domain": {
                  "firmware": { "uuid": "5d307ca9-b3ef-428c-8861-06e72d69f223", "serial": "ABC123", "bootloader": { "efi": {} } },
                  "devices": {
                    "disks": [ { "name": "rootdisk", "disk": { "bus": "virtio" } }, { "name": "data", "disk": { "bus": "virtio" } },
                               { "name": "scratch", "disk": { "bus": "virtio" } }, { "name": "cloudinit", "disk": { "bus": "virtio" } } ],
                    "interfaces": [ { "name": "default", "masquerade": {}, "macAddress": "02:00:00:aa:bb:cc" } ]
                  },
                  "resources": { "requests": { "memory": "2Gi" } }
                },
                "networks": [ { "name": "default", "pod": {} } ],
                "volumes": [
                  { "name": "rootdisk", "dataVolume": { "name": "node-base-rootdisk" } },
                  { "name": "data", "persistentVolumeClaim": { "claimName": "node-data" } },
                  { "name": "scratch", "dataVolume": { "name": "scratch-template" } },
                  { "name": "cloudinit", "cloudInitNoCloud": { "userData": "#cloud-config" } }
                ]
              }
            }
          }
        }
        """)!.AsObject();

    /// <summary>
    /// A snapshot content of <see cref="SourceVm"/> as KubeVirt writes it (snapshot.go <c>createContent</c>): the VM's
    /// metadata and spec, and one backup per claim with that claim's spec.
    /// </summary>
    private static JsonObject Content()
    {
        var vm = SourceVm();
        JsonObject Backup(string volume, string claim, string claimSpec) => new()
        {
            ["volumeName"] = volume,
            ["persistentVolumeClaim"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = claim }, ["spec"] = JsonNode.Parse(claimSpec) },
            ["volumeSnapshotName"] = $"vmsnapshot-snap-uid-volume-{volume}",
        };
        return new JsonObject
        {
            ["source"] = new JsonObject
            {
                ["virtualMachine"] = new JsonObject { ["metadata"] = vm["metadata"]!.DeepClone(), ["spec"] = vm["spec"]!.DeepClone() },
            },
            ["virtualMachineSnapshotName"] = "snap",
            ["volumeBackups"] = new JsonArray(
                Backup("rootdisk", "node-base-rootdisk", """{ "accessModes": ["ReadWriteMany"], "storageClassName": "fast", "volumeMode": "Filesystem", "resources": { "requests": { "storage": "21474836480" } } }"""),
                Backup("data", "node-data", """{ "accessModes": ["ReadWriteOnce"], "volumeMode": "Block", "resources": { "requests": { "storage": "5Gi" } } }"""),
                Backup("scratch", "scratch-template", """{ "accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem", "resources": { "requests": { "storage": "1Gi" } } }""")),
        };
    }

    private static JsonObject ContentVm() => Content()["source"]!["virtualMachine"]!.AsObject();

    private static JsonObject Backup(string volume) =>
        Content()["volumeBackups"]!.AsArray().OfType<JsonObject>().Single(b => (string?)b["volumeName"] == volume);

    private static readonly Dictionary<string, string> RootAndData = new() { ["rootdisk"] = "vm-1-rootdisk", ["data"] = "vm-1-data" };

    private static JsonObject Json(GenericObject obj) => JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();

    private static JsonObject BuiltVm(IReadOnlyDictionary<string, string>? dataVolumes = null) =>
        Json(KubeVirtObjects.VirtualMachineFromContent(ContentVm(), "dev", "vm-1", dataVolumes ?? RootAndData, ForkLabels));

    private static JsonObject Volume(JsonObject vm, string name) =>
        vm["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().OfType<JsonObject>().Single(v => (string?)v["name"] == name);

    [Fact]
    public void The_copied_VM_has_no_MAC_addresses()
    {
        var nic = BuiltVm()["spec"]!["template"]!["spec"]!["domain"]!["devices"]!["interfaces"]![0]!.AsObject();

        Assert.False(nic.ContainsKey("macAddress"));
        Assert.Equal("default", (string?)nic["name"]);
    }

    [Fact]
    public void The_copied_VM_has_no_firmware_uuid_or_serial_but_keeps_the_bootloader()
    {
        var firmware = BuiltVm()["spec"]!["template"]!["spec"]!["domain"]!["firmware"]!.AsObject();

        Assert.False(firmware.ContainsKey("uuid"));
        Assert.False(firmware.ContainsKey("serial"));
        Assert.NotNull(firmware["bootloader"]);
    }

    [Fact]
    public void The_copied_VM_uses_the_given_DataVolumes_for_the_backed_up_volumes()
    {
        var vm = BuiltVm();

        Assert.Equal("vm-1-rootdisk", (string?)Volume(vm, "rootdisk")["dataVolume"]!["name"]);
        var data = Volume(vm, "data");
        Assert.Equal("vm-1-data", (string?)data["dataVolume"]!["name"]);
        Assert.False(data.ContainsKey("persistentVolumeClaim"));
        Assert.Equal("#cloud-config", (string?)Volume(vm, "cloudinit")["cloudInitNoCloud"]!["userData"]);
        Assert.Equal("scratch-template", (string?)Volume(vm, "scratch")["dataVolume"]!["name"]);
    }

    [Fact]
    public void DataVolume_templates_the_new_DataVolumes_replace_are_removed_and_the_others_kept()
    {
        var templates = BuiltVm()["spec"]!["dataVolumeTemplates"]!.AsArray();

        Assert.Equal(["scratch-template"], templates.Select(t => (string?)t!["metadata"]!["name"]));
    }

    [Fact]
    public void With_every_template_replaced_dataVolumeTemplates_is_dropped()
    {
        var vm = BuiltVm(new Dictionary<string, string>(RootAndData) { ["scratch"] = "vm-1-scratch" });

        Assert.False(vm["spec"]!.AsObject().ContainsKey("dataVolumeTemplates"));
    }

    [Fact]
    public void The_copied_VM_runs_Always_and_has_no_running_field()
    {
        var spec = BuiltVm()["spec"]!.AsObject();

        Assert.Equal("Always", (string?)spec["runStrategy"]);
        Assert.False(spec.ContainsKey("running"));
    }

    [Fact]
    public void The_copied_VM_drops_instancetype_revisions_of_the_source_namespace()
    {
        var instancetype = BuiltVm()["spec"]!["instancetype"]!.AsObject();

        Assert.False(instancetype.ContainsKey("revisionName"));
        Assert.Equal("u1.medium", (string?)instancetype["name"]);
    }

    [Fact]
    public void The_copied_VM_is_named_in_the_target_namespace_with_the_fork_labels_over_the_source_labels()
    {
        var metadata = BuiltVm()["metadata"]!.AsObject();

        Assert.Equal("vm-1", (string?)metadata["name"]);
        Assert.Equal("dev", (string?)metadata["namespace"]);
        Assert.Equal("node-base", (string?)metadata["labels"]!["app.kubernetes.io/name"]);
        Assert.Equal("uid-1", (string?)metadata["labels"]!["vers.sh/fork-uid"]);
        Assert.Equal("vers-operator", (string?)metadata["labels"]!["app.kubernetes.io/managed-by"]);
    }

    [Fact]
    public void Building_the_VM_leaves_the_source_copy_untouched()
    {
        var source = ContentVm();
        var before = source.ToJsonString();

        KubeVirtObjects.VirtualMachineFromContent(source, "dev", "vm-1", RootAndData, ForkLabels);

        Assert.Equal(before, source.ToJsonString());
    }

    [Fact]
    public void A_DataVolume_copies_class_and_access_modes_of_the_backed_up_claim()
    {
        var dv = Json(KubeVirtObjects.DataVolume("dev", "vm-1-rootdisk", "vers", Backup("rootdisk"), ForkLabels));

        var storage = dv["spec"]!["storage"]!.AsObject();
        Assert.Equal("fast", (string?)storage["storageClassName"]);
        Assert.Equal(["ReadWriteMany"], storage["accessModes"]!.AsArray().Select(m => (string?)m));
    }

    /// <summary>
    /// CDI's snapshot clone refuses a request below the VolumeSnapshot's restoreSize (validateSnapshotClone in
    /// pkg/controller/datavolume/snapshot-clone-controller.go) and infers the size from it when none is given
    /// (detectCloneSize): the backed-up claim's request, which the restoreSize outgrows, is never copied.
    /// </summary>
    [Fact]
    public void A_DataVolume_requests_no_size_so_CDI_takes_the_snapshots_restoreSize()
    {
        var dv = Json(KubeVirtObjects.DataVolume("dev", "vm-1-rootdisk", "vers", Backup("rootdisk"), ForkLabels));

        Assert.Null(dv["spec"]!["storage"]!["resources"]);
    }

    [Fact]
    public void A_DataVolume_copies_the_volume_mode_and_restores_from_the_source_namespaces_VolumeSnapshot()
    {
        var backup = Backup("data");
        var dv = Json(KubeVirtObjects.DataVolume("dev", "vm-1-data", "vers", backup, ForkLabels));

        Assert.Equal("Block", (string?)dv["spec"]!["storage"]!["volumeMode"]);
        Assert.Equal("vers", (string?)dv["spec"]!["source"]!["snapshot"]!["namespace"]);
        Assert.Equal((string?)backup["volumeSnapshotName"], (string?)dv["spec"]!["source"]!["snapshot"]!["name"]);
        Assert.Equal("dev", (string?)dv["metadata"]!["namespace"]);
        Assert.Equal("true", (string?)dv["metadata"]!["annotations"]!["cdi.kubevirt.io/storage.bind.immediate.requested"]);
        Assert.Equal("uid-1", (string?)dv["metadata"]!["labels"]!["vers.sh/fork-uid"]);
    }

    [Fact]
    public void A_volume_backup_without_a_VolumeSnapshot_cannot_become_a_DataVolume()
    {
        var backup = Backup("data");
        backup.Remove("volumeSnapshotName");

        Assert.Throws<InvalidOperationException>(() => KubeVirtObjects.DataVolume("dev", "dv", "vers", backup, ForkLabels));
    }

    [Fact]
    public void A_clone_goes_from_the_source_snapshot_to_a_VM_named_by_the_fork()
    {
        var clone = Json(KubeVirtObjects.Clone("vers", "vm-1", "commit-1", "vm-1", ForkLabels));

        Assert.Equal("clone.kubevirt.io/v1beta1", (string?)clone["apiVersion"]);
        Assert.Equal("VirtualMachineClone", (string?)clone["kind"]);
        Assert.Equal("""{"apiGroup":"snapshot.kubevirt.io","kind":"VirtualMachineSnapshot","name":"commit-1"}""", clone["spec"]!["source"]!.ToJsonString());
        Assert.Equal("""{"apiGroup":"kubevirt.io","kind":"VirtualMachine","name":"vm-1"}""", clone["spec"]!["target"]!.ToJsonString());
        Assert.Equal("uid-1", (string?)clone["metadata"]!["labels"]!["vers.sh/fork-uid"]);
    }

    [Fact]
    public void A_snapshot_of_the_forked_VM_is_owned_by_its_Commit_and_carries_the_failure_deadline()
    {
        var owner = KubeVirtObjects.OwnerReference("vers.sh/v1alpha1", "Commit", new V1ObjectMeta { Name = "commit-2", Uid = "commit-uid" });
        var snapshot = Json(KubeVirtObjects.Snapshot("dev", "commit-2", "vm-1", ForkLabels, owner, TimeSpan.FromMinutes(15)));

        Assert.Equal("snapshot.kubevirt.io/v1beta1", (string?)snapshot["apiVersion"]);
        Assert.Equal("""{"apiGroup":"kubevirt.io","kind":"VirtualMachine","name":"vm-1"}""", snapshot["spec"]!["source"]!.ToJsonString());
        Assert.Equal("Delete", (string?)snapshot["spec"]!["deletionPolicy"]);
        Assert.Equal("15m0s", (string?)snapshot["spec"]!["failureDeadline"]);
        var reference = snapshot["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal("Commit", (string?)reference["kind"]);
        Assert.Equal("commit-uid", (string?)reference["uid"]);
        Assert.True((bool?)reference["controller"]);
        Assert.True((bool?)reference["blockOwnerDeletion"]);
    }

    public static TheoryData<string> Built => ["vm", "vm-all-replaced", "datavolume-root", "datavolume-data", "clone", "snapshot", "snapshot-unowned"];

    [Theory]
    [MemberData(nameof(Built))]
    public void Every_built_object_validates_against_the_KubeVirt_and_CDI_schemas(string which)
    {
        var owner = KubeVirtObjects.OwnerReference("vers.sh/v1alpha1", "Commit", new V1ObjectMeta { Name = "c", Uid = "u" });
        var obj = which switch
        {
            "vm" => KubeVirtObjects.VirtualMachineFromContent(ContentVm(), "dev", "vm-1", RootAndData, ForkLabels),
            "vm-all-replaced" => KubeVirtObjects.VirtualMachineFromContent(
                ContentVm(), "dev", "vm-1", new Dictionary<string, string>(RootAndData) { ["scratch"] = "vm-1-scratch" }, ForkLabels),
            "datavolume-root" => KubeVirtObjects.DataVolume("dev", "vm-1-rootdisk", "vers", Backup("rootdisk"), ForkLabels),
            "datavolume-data" => KubeVirtObjects.DataVolume("dev", "vm-1-data", "vers", Backup("data"), ForkLabels),
            "clone" => KubeVirtObjects.Clone("vers", "vm-1", "commit-1", "vm-1", ForkLabels),
            "snapshot" => KubeVirtObjects.Snapshot("dev", "commit-2", "vm-1", ForkLabels, owner, TimeSpan.FromMinutes(15)),
            "snapshot-unowned" => KubeVirtObjects.Snapshot("dev", "commit-2", "vm-1", ForkLabels, null, TimeSpan.FromSeconds(90)),
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };

        var result = KubeVirtSchemaValidator.Validate(Json(obj));

        Assert.True(result.IsValid, $"{which}:{Environment.NewLine}{result}");
    }

    [Fact]
    public void The_schema_check_catches_a_misspelt_field_in_a_built_object()
    {
        var clone = Json(KubeVirtObjects.Clone("vers", "vm-1", "commit-1", "vm-1", ForkLabels));
        clone["spec"]!["targt"] = clone["spec"]!["target"]!.DeepClone();

        Assert.False(KubeVirtSchemaValidator.Validate(clone).IsValid);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(60, "1m0s")]
    [InlineData(90, "1m30s")]
    [InlineData(900, "15m0s")]
    [InlineData(3600, "1h0m0s")]
    [InlineData(3661, "1h1m1s")]
    [InlineData(90000, "25h0m0s")]
    public void GoDuration_formats_whole_seconds_like_Go(int seconds, string expected) =>
        Assert.Equal(expected, KubeVirtObjects.GoDuration(TimeSpan.FromSeconds(seconds)));
}
