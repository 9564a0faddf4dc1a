using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;

namespace Vers.Benchmarks;

/// <summary>
/// The floor: the API writes one cross-organisation fork needs, issued back to back by one client with no
/// operator, no watches and no waiting. A fork can not be cheaper than this on the same API server.
/// Ours (shim and operator), 12: fork create, intent status, Repository, DataVolume, VM, Commit, snapshot,
/// Commit status, Tag (with its status), Repository status, Succeeded status, finalizer removal. With
/// <paramref name="withKubeVirt"/> also the 7 that KubeVirt and CDI make on the fork's critical path, in the
/// order they come (the operator waits for each): DataVolume status, VM status, snapshot content,
/// VolumeSnapshot, its status, the content's status, the snapshot's status; same shapes as the simulator's.
/// </summary>
public sealed class FloorWorkload(IKubernetes client, bool withKubeVirt)
{
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
            await StatusAsync(KubeVirtTypes.DataVolume, ns, dv.Metadata.Name, new JsonObject
            {
                ["phase"] = "Succeeded",
                ["progress"] = "100.0%",
                ["claimName"] = dv.Metadata.Name,
                ["restartCount"] = 0,
                ["conditions"] = new JsonArray(Condition("Bound", true, "Bound", $"PVC {dv.Metadata.Name} Bound"), Condition("Ready", true, "", ""), Condition("Running", false, "Completed", "")),
            }, ct);
            await StatusAsync(KubeVirtTypes.VirtualMachine, ns, vmId, new JsonObject
            {
                ["printableStatus"] = "Running",
                ["created"] = true,
                ["ready"] = true,
                ["runStrategy"] = "Always",
                ["conditions"] = new JsonArray(Condition("Ready", true, null, "")),
            }, ct);
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

    /// <summary>KubeVirt's snapshot controller and the CSI snapshotter, as the simulator makes them: 5 writes.</summary>
    private async Task SnapshotAsync(GenericObject snapshot, GenericObject vm, GenericObject dv, CancellationToken ct)
    {
        var ns = snapshot.Metadata.NamespaceProperty;
        var vmJson = JsonNode.Parse(KubernetesJson.Serialize(vm))!.AsObject();
        var dvJson = JsonNode.Parse(KubernetesJson.Serialize(dv))!.AsObject();
        var contentName = $"vmsnapshot-content-{snapshot.Metadata.Uid}";
        var content = await _rest.CreateAsync(KubeVirtTypes.VirtualMachineSnapshotContent, ns, KubeJson.Deserialize<GenericObject>(JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VirtualMachineSnapshotContent.ApiVersion,
            ["kind"] = KubeVirtTypes.VirtualMachineSnapshotContent.Kind,
            ["metadata"] = new JsonObject { ["name"] = contentName, ["namespace"] = ns, ["ownerReferences"] = new JsonArray(OwnerOf(snapshot)) },
            ["spec"] = new JsonObject
            {
                ["source"] = new JsonObject { ["virtualMachine"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = vm.Metadata.Name, ["namespace"] = ns }, ["spec"] = vmJson["spec"]!.DeepClone() } },
                ["virtualMachineSnapshotName"] = snapshot.Metadata.Name,
                ["volumeBackups"] = new JsonArray(new JsonObject
                {
                    ["volumeName"] = "rootdisk",
                    ["persistentVolumeClaim"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = dv.Metadata.Name }, ["spec"] = dvJson["spec"]?["storage"]?.DeepClone() },
                    ["volumeSnapshotName"] = $"vmsnapshot-{snapshot.Metadata.Uid}-volume-rootdisk",
                }),
            },
        })), ct);
        var backup = (JsonObject)content.Spec!["volumeBackups"]![0]!;
        var vsName = (string)backup["volumeSnapshotName"]!;
        var volumeSnapshot = await _rest.CreateAsync(KubeVirtTypes.VolumeSnapshot, ns, KubeJson.Deserialize<GenericObject>(JsonSerializer.SerializeToUtf8Bytes(new JsonObject
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
            ["spec"] = new JsonObject { ["source"] = new JsonObject { ["persistentVolumeClaimName"] = (string?)backup["persistentVolumeClaim"]?["metadata"]?["name"] } },
        })), ct);
        var now = Now();
        await StatusAsync(KubeVirtTypes.VolumeSnapshot, ns, vsName, new JsonObject
        {
            ["boundVolumeSnapshotContentName"] = $"snapcontent-{volumeSnapshot.Metadata.Uid}",
            ["creationTime"] = now,
            ["readyToUse"] = true,
            ["restoreSize"] = "10Gi",
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
            ["snapshotVolumes"] = new JsonObject { ["includedVolumes"] = new JsonArray((string?)backup["volumeName"]), ["excludedVolumes"] = new JsonArray() },
            ["indications"] = new JsonArray("Online", "NoGuestAgent"),
        }, ct);
    }

    private Task<GenericObject> StatusAsync(ResourceType type, string ns, string name, JsonObject status, CancellationToken ct) =>
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
