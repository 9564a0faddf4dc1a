using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.LocalCluster.Seeding;

/// <summary>
/// Publishes a repository the way a Vers user would have built one: a VM with a root disk, a commit
/// (VirtualMachineSnapshot, ready to use, owned by its Commit), a tag and the Repository. Idempotent:
/// names and the commit id derive from (org, repository, tag).
/// </summary>
public sealed class RepositoryPublisher(IKubernetes client)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly KubeRestClient _client = new(client);

    public async Task EnsureOrgAsync(string org, CancellationToken ct, string? ns = null)
    {
        ns ??= org;
        var namespaceObject = new V1Namespace
        {
            ApiVersion = "v1",
            Kind = "Namespace",
            Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { [VersGroup.OrgLabel] = org } },
        };
        await CreateIfMissingAsync(ResourceType.Namespace, null, namespaceObject, ct);
    }

    /// <summary>
    /// Publishes org/repo:tag in namespace <paramref name="ns"/>; answers the commit id. <paramref name="customizeVm"/> may
    /// change the VM's spec before it is created (extra volumes, networks, ...).
    /// </summary>
    public async Task<string> PublishAsync(
        string ns, string org, string repo, string tag, Visibility visibility, CancellationToken ct, string? image = null, Action<JsonObject>? customizeVm = null)
    {
        var commitId = DeterministicGuid.Create($"{org}/{repo}:{tag}");
        var vmName = $"{VersNames.ToObjectName(repo)}-base";
        var diskName = $"{vmName}-rootdisk";

        await CreateIfMissingAsync(KubeVirtTypes.DataVolume, ns, RootDisk(ns, diskName, image ?? $"docker://quay.io/containerdisks/{repo.ToLowerInvariant()}:latest"), ct);
        var vm = SeedVm(ns, vmName, diskName, commitId);
        customizeVm?.Invoke(vm.Spec!);
        await CreateIfMissingAsync(KubeVirtTypes.VirtualMachine, ns, vm, ct);

        var commit = new Commit
        {
            Metadata = new V1ObjectMeta { Name = commitId, NamespaceProperty = ns },
            Spec = new CommitSpec { SnapshotName = commitId, SourceVm = vmName },
        };
        commit = await CreateIfMissingAsync(Commit.Type, ns, commit, ct);
        var snapshot = GenericObject.Create(KubeVirtTypes.VirtualMachineSnapshot, ns, commitId);
        snapshot.Metadata.OwnerReferences = [KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Commit", commit.Metadata)];
        snapshot.Fields["spec"] = new JsonObject
        {
            ["source"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = vmName },
            ["deletionPolicy"] = "Delete",
        };
        await CreateIfMissingAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshot, ct);
        await _client.UntilAsync<GenericObject>(
            KubeVirtTypes.VirtualMachineSnapshot, ns, commitId, s => s.Status?["readyToUse"]?.GetValue<bool>() == true, ReadyTimeout, ct);
        await _client.PatchAsync<Commit>(Commit.Type, ns, commitId, new
        {
            status = new CommitStatus
            {
                ReadyToUse = true,
                ObservedGeneration = commit.Metadata.Generation,
                Conditions =
                [
                    new V1Condition
                    {
                        Type = "Ready", Status = "True", Reason = "SnapshotReady", Message = $"VirtualMachineSnapshot {commitId} is ready to use",
                        ObservedGeneration = commit.Metadata.Generation, LastTransitionTime = DateTime.UtcNow,
                    },
                ],
            },
        }, ct, subresource: "status");

        var repository = await CreateIfMissingAsync(Repository.Type, ns, new Repository
        {
            Metadata = new V1ObjectMeta { Name = VersNames.ToObjectName(repo), NamespaceProperty = ns },
            Spec = new RepositorySpec { Name = repo, Visibility = visibility, Description = $"{repo} base image" },
        }, ct);
        // Tag has no status subresource: its reference is created with it (or patched into an older one that lacks it).
        var reference = $"{repo}:{tag}";
        var tagObject = await CreateIfMissingAsync(Tag.Type, ns, new Tag
        {
            Metadata = new V1ObjectMeta
            {
                Name = VersNames.TagObjectName(repo, tag),
                NamespaceProperty = ns,
                OwnerReferences = [KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Repository", repository.Metadata)],
            },
            Spec = new TagSpec { Repository = repo, Tag = tag, CommitId = commitId },
            Status = new TagStatus { Reference = reference },
        }, ct);
        if (tagObject.Status?.Reference != reference)
        {
            await _client.PatchAsync<Tag>(Tag.Type, ns, tagObject.Metadata.Name, new { status = new TagStatus { Reference = reference } }, ct);
        }
        await _client.PatchAsync<Repository>(Repository.Type, ns, repository.Metadata.Name, new
        {
            status = new RepositoryStatus
            {
                Tags = 1,
                ObservedGeneration = repository.Metadata.Generation,
                Conditions =
                [
                    new V1Condition
                    {
                        Type = "Ready", Status = "True", Reason = "Published", Message = $"{repo}:{tag} published",
                        ObservedGeneration = repository.Metadata.Generation, LastTransitionTime = DateTime.UtcNow,
                    },
                ],
            },
        }, ct, subresource: "status");
        return commitId;
    }

    private async Task<T> CreateIfMissingAsync<T>(ResourceType type, string? ns, T obj, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            return await _client.CreateAsync(type, ns, obj, ct, "vers-seed");
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            return await _client.GetAsync<T>(type, ns, obj.Metadata.Name, ct);
        }
    }

    private static GenericObject RootDisk(string ns, string name, string image)
    {
        var dv = GenericObject.Create(KubeVirtTypes.DataVolume, ns, name);
        // Imported now, not at the VM's first start: the base VM stays Halted, and its snapshot needs the disk bound and
        // populated (KubeVirt does not lock a source whose volumes are not). What a user does on WaitForFirstConsumer storage.
        dv.Metadata.Annotations = new Dictionary<string, string> { ["cdi.kubevirt.io/storage.bind.immediate.requested"] = "true" };
        dv.Fields["spec"] = new JsonObject
        {
            ["source"] = new JsonObject { ["registry"] = new JsonObject { ["url"] = image } },
            ["storage"] = new JsonObject
            {
                ["accessModes"] = new JsonArray("ReadWriteOnce"),
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "10Gi" } },
            },
        };
        return dv;
    }

    private static GenericObject SeedVm(string ns, string name, string diskName, string seed)
    {
        var vm = GenericObject.Create(KubeVirtTypes.VirtualMachine, ns, name);
        vm.Metadata.Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = name };
        var mac = $"02:00:{seed[..2]}:{seed[2..4]}:{seed[4..6]}:{seed[6..8]}";
        vm.Fields["spec"] = new JsonObject
        {
            ["runStrategy"] = "Halted",
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["kubevirt.io/domain"] = name } },
                ["spec"] = new JsonObject
                {
                    ["domain"] = new JsonObject
                    {
                        ["cpu"] = new JsonObject { ["cores"] = 2 },
                        ["memory"] = new JsonObject { ["guest"] = "2Gi" },
                        ["firmware"] = new JsonObject { ["uuid"] = seed, ["serial"] = seed[..8] },
                        ["devices"] = new JsonObject
                        {
                            ["disks"] = new JsonArray(new JsonObject { ["name"] = "rootdisk", ["disk"] = new JsonObject { ["bus"] = "virtio" } }),
                            ["interfaces"] = new JsonArray(new JsonObject { ["name"] = "default", ["masquerade"] = new JsonObject(), ["macAddress"] = mac }),
                        },
                    },
                    ["networks"] = new JsonArray(new JsonObject { ["name"] = "default", ["pod"] = new JsonObject() }),
                    ["volumes"] = new JsonArray(new JsonObject { ["name"] = "rootdisk", ["dataVolume"] = new JsonObject { ["name"] = diskName } }),
                },
            },
        };
        return vm;
    }
}
