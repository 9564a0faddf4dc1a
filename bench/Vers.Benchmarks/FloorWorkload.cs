using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;

namespace Vers.Benchmarks;

/// <summary>
/// The floor: the API writes one cross-organisation fork makes (shim and operator, not KubeVirt's own),
/// issued back to back by one client with no operator, no watches and no waiting. A fork can not be
/// cheaper than this on the same API server. 12 writes: fork create, intent status, Repository,
/// DataVolume, VM, Commit, snapshot, Commit status, Tag (with its status), Repository status,
/// Succeeded status, finalizer removal.
/// </summary>
public sealed class FloorWorkload(IKubernetes client)
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
        await _rest.CreateAsync(KubeVirtTypes.DataVolume, ns, KubeVirtObjects.DataVolume(ns, $"{vmId}-rootdisk", "vers", backup, labels), ct);
        await _rest.CreateAsync(KubeVirtTypes.VirtualMachine, ns, KubeVirtObjects.VirtualMachineFromContent(SourceVm(), ns, vmId, new Dictionary<string, string> { ["rootdisk"] = $"{vmId}-rootdisk" }, labels), ct);
        var commit = await _rest.CreateAsync(Commit.Type, ns, new Commit
        {
            Metadata = new V1ObjectMeta { Name = commitId, NamespaceProperty = ns, Labels = labels },
            Spec = new CommitSpec { SnapshotName = commitId, SourceVm = vmId },
        }, ct);
        await _rest.CreateAsync(
            KubeVirtTypes.VirtualMachineSnapshot,
            ns,
            KubeVirtObjects.Snapshot(ns, commitId, vmId, labels, KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Commit", commit.Metadata), TimeSpan.FromMinutes(15)),
            ct);
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
