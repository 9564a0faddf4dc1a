using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.LocalCluster.KubeVirt;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.Benchmarks;

/// <summary>
/// The floor: the API writes one cross-organisation fork needs, issued back to back by one client with no
/// operator, no watches and no waiting. A fork can not be cheaper than this on the same API server.
/// Ours (shim and operator), 12: fork create, intent status, Repository, DataVolume, VM, Commit, snapshot,
/// Commit status, Tag (with its status), Repository status, Succeeded status, finalizer removal. With
/// <paramref name="withKubeVirt"/> also the <see cref="KubeVirtWrites"/> that KubeVirt, CDI and the CSI storage make on
/// the fork's critical path, in the order they come (each waits for the one before), in the simulator's shapes:
/// the disk (DataVolume finalizer, claim, volume, the claim bound — spec and status —, DataVolume Succeeded), the VM
/// (Provisioning, Running), and the commit's snapshot (its finalizer, the VM locked — status and finalizer —, the
/// content, the VolumeSnapshot and its content, the VolumeSnapshot's finalizers, both ready, the content ready, the
/// snapshot Succeeded).
/// </summary>
public sealed class FloorWorkload(IKubernetes client, bool withKubeVirt)
{
    /// <summary>How many of the floor's writes are KubeVirt's, CDI's and the storage's.</summary>
    public const int KubeVirtWrites = 19;

    /// <summary>How many are the operator's and the fork API's.</summary>
    public const int OurWrites = 12;

    private readonly KubeRestClient _rest = new(client);

    public async Task<List<double>> RunAsync(string prefix, int iterations, CancellationToken ct)
    {
        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await OneForkAsync($"{prefix}-{i:D6}", ct);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return samples;
    }

    private async Task OneForkAsync(string name, CancellationToken ct)
    {
        const string ns = "dev";
        var vmId = Guid.NewGuid().ToString();
        var commitId = Guid.NewGuid().ToString();
        var labels = new Dictionary<string, string> { [VersGroup.ForkUidLabel] = name };

        var fork = await _rest.CreateAsync(RepositoryFork.Type, ns, new RepositoryFork
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Finalizers = [ForkOptions.Finalizer] },
            Spec = new RepositoryForkSpec { SourceOrg = "vers", SourceRepo = "node", SourceTag = "latest", RepoName = name },
        }, ct);
        fork.Status = new RepositoryForkStatus { Phase = ForkPhase.Running, VmId = vmId, CommitId = commitId, RepoName = name, TagName = "latest" };
        fork = await _rest.ReplaceAsync(RepositoryFork.Type, ns, name, fork, ct, subresource: "status");

        var repository = await _rest.CreateAsync(Repository.Type, ns, new Repository
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
            Spec = new RepositorySpec { Name = name, Visibility = Visibility.Private },
        }, ct);
        var backup = new JsonObject
        {
            ["volumeName"] = "rootdisk",
            ["volumeSnapshotName"] = $"vmsnapshot-{commitId}-volume-rootdisk",
            ["persistentVolumeClaim"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "node-base-rootdisk" },
                ["spec"] = new JsonObject { ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "10Gi" } } },
            },
        };
        var dv = await _rest.CreateAsync(KubeVirtTypes.DataVolume, ns, KubeVirtObjects.DataVolume(ns, $"{vmId}-rootdisk", "vers", backup, labels), ct);
        var vm = await _rest.CreateAsync(KubeVirtTypes.VirtualMachine, ns, KubeVirtObjects.VirtualMachineFromContent(SourceVm(), ns, vmId, new Dictionary<string, string> { ["rootdisk"] = $"{vmId}-rootdisk" }, labels), ct);
        if (withKubeVirt)
        {
            await DiskAndVmAsync(dv, vm, ct);
        }

        var commit = await _rest.CreateAsync(Commit.Type, ns, new Commit
        {
            Metadata = new V1ObjectMeta { Name = commitId, NamespaceProperty = ns, Labels = labels },
            Spec = new CommitSpec { SnapshotName = commitId, SourceVm = vmId },
        }, ct);
        var snapshot = await _rest.CreateAsync(
            KubeVirtTypes.VirtualMachineSnapshot,
            ns,
            KubeVirtObjects.Snapshot(ns, commitId, vmId, labels, KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Commit", commit.Metadata), TimeSpan.FromMinutes(15)),
            ct);
        if (withKubeVirt)
        {
            await SnapshotAsync(snapshot, vm, dv, ct);
        }

        await _rest.PatchAsync<Commit>(Commit.Type, ns, commitId, new { status = new CommitStatus { ReadyToUse = true } }, ct, subresource: "status");
        await _rest.CreateAsync(Tag.Type, ns, new Tag
        {
            Metadata = new V1ObjectMeta { Name = $"{name}.latest", NamespaceProperty = ns, Labels = labels },
            Spec = new TagSpec { Repository = name, Tag = "latest", CommitId = commitId },
            Status = new TagStatus { Reference = $"{name}:latest" },
        }, ct);
        await _rest.PatchAsync<Repository>(Repository.Type, ns, repository.Metadata.Name, new { status = new RepositoryStatus { Tags = 1 } }, ct, subresource: "status");
        fork.Status!.Phase = ForkPhase.Succeeded;
        fork = await _rest.ReplaceAsync(RepositoryFork.Type, ns, name, fork, ct, subresource: "status");
        var removeFinalizer = new JsonArray
        {
            new JsonObject { ["op"] = "test", ["path"] = "/metadata/resourceVersion", ["value"] = fork.Metadata.ResourceVersion },
            new JsonObject { ["op"] = "replace", ["path"] = "/metadata/finalizers", ["value"] = new JsonArray() },
        };
        await _rest.PatchAsync<RepositoryFork>(RepositoryFork.Type, ns, name, removeFinalizer.ToJsonString(), ct, PatchKind.Json);
    }

    /// <summary>CDI, the provisioner, the PV controller and virt-controller, as the simulator makes them: 8 writes.</summary>
    private async Task DiskAndVmAsync(GenericObject dv, GenericObject vm, CancellationToken ct)
    {
        var ns = dv.Metadata.NamespaceProperty;
        var name = dv.Metadata.Name;
        await MergeAsync(KubeVirtTypes.DataVolume, ns, name, new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = new JsonArray("cdi.kubevirt.io/dataVolumeFinalizer") } }, ct);
        var claim = await CreateAsync(KubeVirtTypes.PersistentVolumeClaim, ns, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["labels"] = new JsonObject { ["app"] = "containerized-data-importer" },
                ["annotations"] = new JsonObject { ["cdi.kubevirt.io/storage.contentType"] = "kubevirt", ["cdi.kubevirt.io/dataSourceNamespace"] = "vers" },
                ["ownerReferences"] = new JsonArray(OwnerOf(dv)),
            },
            ["spec"] = new JsonObject
            {
                ["accessModes"] = new JsonArray("ReadWriteOnce"),
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "11Gi" } },
                ["storageClassName"] = "local-csi",
                ["volumeMode"] = "Filesystem",
                ["dataSourceRef"] = new JsonObject { ["apiGroup"] = "cdi.kubevirt.io", ["kind"] = "VolumeCloneSource", ["name"] = $"volume-clone-source-{dv.Metadata.Uid}" },
            },
        }, ct);
        var volume = await CreateAsync(KubeVirtTypes.PersistentVolume, null, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolume",
            ["metadata"] = new JsonObject { ["name"] = $"pvc-{claim.Metadata.Uid}" },
            ["spec"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["storage"] = "11Gi" },
                ["accessModes"] = new JsonArray("ReadWriteOnce"),
                ["persistentVolumeReclaimPolicy"] = "Delete",
                ["storageClassName"] = "local-csi",
                ["volumeMode"] = "Filesystem",
                ["claimRef"] = new JsonObject { ["kind"] = "PersistentVolumeClaim", ["namespace"] = ns, ["name"] = name, ["uid"] = claim.Metadata.Uid, ["apiVersion"] = "v1" },
                ["csi"] = new JsonObject { ["driver"] = "csi.localcluster.vers.sh", ["volumeHandle"] = $"vol-{claim.Metadata.Uid}" },
            },
        }, ct);
        await MergeAsync(KubeVirtTypes.PersistentVolumeClaim, ns, name, new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["pv.kubernetes.io/bind-completed"] = "yes", ["cdi.kubevirt.io/clonePhase"] = "Succeeded" } },
            ["spec"] = new JsonObject { ["volumeName"] = volume.Metadata.Name },
        }, ct);
        await StatusAsync(KubeVirtTypes.PersistentVolumeClaim, ns, name, new JsonObject
        {
            ["phase"] = "Bound",
            ["accessModes"] = new JsonArray("ReadWriteOnce"),
            ["capacity"] = new JsonObject { ["storage"] = "11Gi" },
        }, ct);
        await StatusAsync(KubeVirtTypes.DataVolume, ns, name, new JsonObject
        {
            ["phase"] = "Succeeded",
            ["progress"] = "100.0%",
            ["claimName"] = name,
            ["restartCount"] = 0,
            ["conditions"] = new JsonArray(Condition("Bound", true, "Bound", $"PVC {name} Bound"), Condition("Ready", true, "", ""), Condition("Running", false, "Completed", "Clone Complete")),
        }, ct);
        foreach (var printable in (string[])["Provisioning", "Running"])
        {
            await StatusAsync(KubeVirtTypes.VirtualMachine, ns, vm.Metadata.Name, new JsonObject
            {
                ["printableStatus"] = printable,
                ["created"] = printable == "Running",
                ["ready"] = printable == "Running",
                ["runStrategy"] = "Always",
                ["conditions"] = new JsonArray(Condition("Ready", printable == "Running", null, "")),
                ["volumeSnapshotStatuses"] = new JsonArray(new JsonObject { ["name"] = "rootdisk", ["enabled"] = true }),
            }, ct);
        }
    }

    /// <summary>KubeVirt's snapshot controller and the CSI snapshotter, as the simulator makes them: 11 writes.</summary>
    private async Task SnapshotAsync(GenericObject snapshot, GenericObject vm, GenericObject dv, CancellationToken ct)
    {
        var ns = snapshot.Metadata.NamespaceProperty;
        await MergeAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshot.Metadata.Name,
            new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = new JsonArray("snapshot.kubevirt.io/vmsnapshot-protection") } }, ct);
        await StatusAsync(KubeVirtTypes.VirtualMachine, ns, vm.Metadata.Name, new JsonObject { ["snapshotInProgress"] = snapshot.Metadata.Name }, ct);
        await MergeAsync(KubeVirtTypes.VirtualMachine, ns, vm.Metadata.Name,
            new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = new JsonArray("snapshot.kubevirt.io/snapshot-source-protection") } }, ct);
        var vmJson = JsonNode.Parse(KubernetesJson.Serialize(vm))!.AsObject();
        var contentName = $"vmsnapshot-content-{snapshot.Metadata.Uid}";
        var vsName = $"vmsnapshot-{snapshot.Metadata.Uid}-volume-rootdisk";
        var claimSpec = new JsonObject
        {
            ["accessModes"] = new JsonArray("ReadWriteOnce"),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "11Gi" } },
            ["storageClassName"] = "local-csi",
            ["volumeMode"] = "Filesystem",
            ["volumeName"] = $"pvc-{dv.Metadata.Uid}",
        };
        var content = await CreateAsync(KubeVirtTypes.VirtualMachineSnapshotContent, ns, new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VirtualMachineSnapshotContent.ApiVersion,
            ["kind"] = KubeVirtTypes.VirtualMachineSnapshotContent.Kind,
            ["metadata"] = new JsonObject { ["name"] = contentName, ["namespace"] = ns, ["finalizers"] = new JsonArray("snapshot.kubevirt.io/vmsnapshotcontent-protection") },
            ["spec"] = new JsonObject
            {
                ["source"] = new JsonObject { ["virtualMachine"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = vm.Metadata.Name, ["namespace"] = ns }, ["spec"] = vmJson["spec"]!.DeepClone() } },
                ["virtualMachineSnapshotName"] = snapshot.Metadata.Name,
                ["volumeBackups"] = new JsonArray(new JsonObject
                {
                    ["volumeName"] = "rootdisk",
                    ["persistentVolumeClaim"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = dv.Metadata.Name, ["namespace"] = ns }, ["spec"] = claimSpec },
                    ["volumeSnapshotName"] = vsName,
                }),
            },
        }, ct);
        var volumeSnapshot = await CreateAsync(KubeVirtTypes.VolumeSnapshot, ns, new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VolumeSnapshot.ApiVersion,
            ["kind"] = KubeVirtTypes.VolumeSnapshot.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = vsName,
                ["namespace"] = ns,
                ["labels"] = new JsonObject { ["snapshot.kubevirt.io/source-vm-name"] = vm.Metadata.Name, ["snapshot.kubevirt.io/source-vm-namespace"] = ns },
                ["ownerReferences"] = new JsonArray(OwnerOf(content)),
            },
            ["spec"] = new JsonObject
            {
                ["source"] = new JsonObject { ["persistentVolumeClaimName"] = dv.Metadata.Name },
                ["volumeSnapshotClassName"] = "local-csi-snapclass",
            },
        }, ct);
        var snapContent = $"snapcontent-{volumeSnapshot.Metadata.Uid}";
        await CreateAsync(KubeVirtTypes.VolumeSnapshotContent, null, new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VolumeSnapshotContent.ApiVersion,
            ["kind"] = KubeVirtTypes.VolumeSnapshotContent.Kind,
            ["metadata"] = new JsonObject { ["name"] = snapContent, ["finalizers"] = new JsonArray("snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection") },
            ["spec"] = new JsonObject
            {
                ["volumeSnapshotRef"] = new JsonObject { ["kind"] = "VolumeSnapshot", ["namespace"] = ns, ["name"] = vsName, ["uid"] = volumeSnapshot.Metadata.Uid, ["apiVersion"] = KubeVirtTypes.VolumeSnapshot.ApiVersion },
                ["deletionPolicy"] = "Delete",
                ["driver"] = "csi.localcluster.vers.sh",
                ["volumeSnapshotClassName"] = "local-csi-snapclass",
                ["source"] = new JsonObject { ["volumeHandle"] = $"vol-{dv.Metadata.Uid}" },
                ["sourceVolumeMode"] = "Filesystem",
            },
        }, ct);
        await MergeAsync(KubeVirtTypes.VolumeSnapshot, ns, vsName, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = new JsonArray("snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection", "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"),
            },
        }, ct);
        await StatusAsync(KubeVirtTypes.VolumeSnapshotContent, null, snapContent, new JsonObject
        {
            ["snapshotHandle"] = $"snap-{volumeSnapshot.Metadata.Uid}",
            ["creationTime"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L,
            ["readyToUse"] = true,
            ["restoreSize"] = 11L << 30,
        }, ct);
        var now = Now();
        await StatusAsync(KubeVirtTypes.VolumeSnapshot, ns, vsName, new JsonObject
        {
            ["boundVolumeSnapshotContentName"] = snapContent,
            ["creationTime"] = now,
            ["readyToUse"] = true,
            ["restoreSize"] = "11Gi",
        }, ct);
        await StatusAsync(KubeVirtTypes.VirtualMachineSnapshotContent, ns, contentName, new JsonObject
        {
            ["creationTime"] = now,
            ["readyToUse"] = true,
            ["volumeSnapshotStatus"] = new JsonArray(new JsonObject { ["volumeSnapshotName"] = vsName, ["creationTime"] = now, ["readyToUse"] = true }),
        }, ct);
        await StatusAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshot.Metadata.Name, new JsonObject
        {
            ["phase"] = "Succeeded",
            ["readyToUse"] = true,
            ["creationTime"] = now,
            ["sourceUID"] = vm.Metadata.Uid,
            ["virtualMachineSnapshotContentName"] = contentName,
            ["conditions"] = new JsonArray(Condition("Progressing", false, "Operation complete"), Condition("Ready", true, "Ready")),
            ["snapshotVolumes"] = new JsonObject { ["includedVolumes"] = new JsonArray("rootdisk"), ["excludedVolumes"] = new JsonArray() },
            ["indications"] = new JsonArray("Online", "NoGuestAgent"),
        }, ct);
    }

    private Task<GenericObject> CreateAsync(ResourceType type, string? ns, JsonObject obj, CancellationToken ct) =>
        _rest.CreateAsync(type, ns, KubeJson.Deserialize<GenericObject>(JsonSerializer.SerializeToUtf8Bytes(obj)), ct);

    private Task<GenericObject> MergeAsync(ResourceType type, string? ns, string name, JsonObject patch, CancellationToken ct) =>
        _rest.PatchAsync<GenericObject>(type, ns, name, patch.ToJsonString(), ct, PatchKind.Merge);

    private Task<GenericObject> StatusAsync(ResourceType type, string? ns, string name, JsonObject status, CancellationToken ct) =>
        _rest.PatchAsync<GenericObject>(type, ns, name, new JsonObject { ["status"] = status }.ToJsonString(), ct, PatchKind.Merge, subresource: "status");

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Condition(string type, bool status, string? reason, string? message = null)
    {
        var condition = new JsonObject { ["type"] = type, ["status"] = status ? "True" : "False", ["lastTransitionTime"] = Now() };
        if (reason is not null)
        {
            condition["reason"] = reason;
        }

        condition["message"] = message ?? reason ?? "";
        return condition;
    }

    private static JsonObject OwnerOf(GenericObject owner) => new()
    {
        ["apiVersion"] = owner.ApiVersion,
        ["kind"] = owner.Kind,
        ["name"] = owner.Metadata.Name,
        ["uid"] = owner.Metadata.Uid,
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    private static JsonObject SourceVm() => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "node-base", ["namespace"] = "vers" },
        ["spec"] = new JsonObject
        {
            ["runStrategy"] = "Halted",
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["domain"] = new JsonObject
                    {
                        ["devices"] = new JsonObject
                        {
                            ["disks"] = new JsonArray(new JsonObject { ["name"] = "rootdisk", ["disk"] = new JsonObject { ["bus"] = "virtio" } }),
                            ["interfaces"] = new JsonArray(new JsonObject { ["name"] = "default", ["masquerade"] = new JsonObject(), ["macAddress"] = "02:00:00:00:00:01" }),
                        },
                        ["memory"] = new JsonObject { ["guest"] = "2Gi" },
                    },
                    ["networks"] = new JsonArray(new JsonObject { ["name"] = "default", ["pod"] = new JsonObject() }),
                    ["volumes"] = new JsonArray(new JsonObject { ["name"] = "rootdisk", ["dataVolume"] = new JsonObject { ["name"] = "node-base-rootdisk" } }),
                },
            },
        },
    };
}
