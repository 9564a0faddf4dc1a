using k8s;
using k8s.Models;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;

namespace Vers.Operator.Forks;

/// <summary>
/// Where organisations, repositories and tags are read: the informer caches (<see cref="CachedTagReader"/>) or the API
/// server (<see cref="LiveSourceReader"/>, only to confirm what the caches do not have).
/// <see cref="SourceResolver.FindTagAsync"/> applies the same rules to either.
/// </summary>
public interface ITagReader
{
    /// <summary>The namespace of organisation <paramref name="org"/>; null when there is none.</summary>
    ValueTask<string?> NamespaceOfAsync(string org, CancellationToken ct);

    /// <summary>The organisation namespace <paramref name="ns"/> is; null when it is none (or does not exist).</summary>
    ValueTask<string?> OrgOfAsync(string ns, CancellationToken ct);

    ValueTask<Repository?> RepositoryAsync(string ns, string name, CancellationToken ct);

    ValueTask<Tag?> TagAsync(string ns, string name, CancellationToken ct);
}

/// <summary>A fork's whole source: also the commit and its VirtualMachineSnapshot (<see cref="SourceResolver"/>).</summary>
public interface ISourceReader : ITagReader
{
    ValueTask<Commit?> CommitAsync(string ns, string name, CancellationToken ct);

    ValueTask<GenericObject?> SnapshotAsync(string ns, string name, CancellationToken ct);
}

/// <summary>The informer caches: no request. Shared objects: never mutate them.</summary>
public class CachedTagReader(OrgDirectory orgs, ResourceInformer<Repository> repositories, ResourceInformer<Tag> tags) : ITagReader
{
    public ValueTask<string?> NamespaceOfAsync(string org, CancellationToken ct) => new(orgs.NamespaceOf(org));

    public ValueTask<string?> OrgOfAsync(string ns, CancellationToken ct) => new(orgs.OrgOf(ns));

    public ValueTask<Repository?> RepositoryAsync(string ns, string name, CancellationToken ct) => new(repositories.Get(ns, name));

    public ValueTask<Tag?> TagAsync(string ns, string name, CancellationToken ct) => new(tags.Get(ns, name));
}

/// <summary>The operator's informer caches: no request. Shared objects: never mutate them.</summary>
public sealed class CachedSourceReader(OrgDirectory orgs, ForkCaches caches) : CachedTagReader(orgs, caches.Repositories, caches.Tags), ISourceReader
{
    public ValueTask<Commit?> CommitAsync(string ns, string name, CancellationToken ct) => new(caches.Commits.Get(ns, name));

    public ValueTask<GenericObject?> SnapshotAsync(string ns, string name, CancellationToken ct) => new(caches.Snapshots.Get(ns, name));
}

/// <summary>
/// The API server (controller-runtime's APIReader): a consistent read that no informer lag can hide an object from.
/// One request per answer; namespaces are listed by label or name, as the operator and the fork API may list but not
/// get them. The fork API uses it as an <see cref="ITagReader"/> only (it may not read commits or snapshots).
/// </summary>
public sealed class LiveSourceReader(IKubernetes kubernetes) : ISourceReader
{
    private readonly KubeRestClient _client = new(kubernetes, KubeJson.ReadWithoutManagedFields);

    public async ValueTask<string?> NamespaceOfAsync(string org, CancellationToken ct)
    {
        if (!VersNames.IsOrg(org))
        {
            return null; // no namespace can carry it, and the API server would refuse the selector
        }

        var namespaces = await _client.ListAsync<V1Namespace>(
            ResourceType.Namespace, null, ct, labelSelector: $"{VersGroup.OrgLabel}={org}", json: KubeJson.ReadWithoutManagedFields);
        return OrgDirectory.NamespaceOf(namespaces.Items, org);
    }

    public async ValueTask<string?> OrgOfAsync(string ns, CancellationToken ct)
    {
        var namespaces = await _client.ListAsync<V1Namespace>(
            ResourceType.Namespace, null, ct, labelSelector: VersGroup.OrgLabel, fieldSelector: $"metadata.name={ns}", json: KubeJson.ReadWithoutManagedFields);
        return OrgDirectory.OrgOf(namespaces.Items.FirstOrDefault(n => n.Metadata.Name == ns));
    }

    public ValueTask<Repository?> RepositoryAsync(string ns, string name, CancellationToken ct) => GetAsync<Repository>(Repository.Type, ns, name, ct);

    public ValueTask<Tag?> TagAsync(string ns, string name, CancellationToken ct) => GetAsync<Tag>(Tag.Type, ns, name, ct);

    public ValueTask<Commit?> CommitAsync(string ns, string name, CancellationToken ct) => GetAsync<Commit>(Commit.Type, ns, name, ct);

    public ValueTask<GenericObject?> SnapshotAsync(string ns, string name, CancellationToken ct) =>
        GetAsync<GenericObject>(KubeVirtTypes.VirtualMachineSnapshot, ns, name, ct);

    // An empty name (a reference left blank) names no object, as in the cache; the request would read the collection.
    private async ValueTask<T?> GetAsync<T>(ResourceType type, string ns, string? name, CancellationToken ct)
        where T : class =>
        string.IsNullOrEmpty(name) ? null : await _client.TryGetAsync<T>(type, ns, name, ct);
}
