using System.Collections.Concurrent;

namespace Vers.LocalCluster.ApiServer;

/// <summary>One counter key: verb (get, list, watch, create, update, patch, delete, deletecollection), resource plural
/// (with <c>/status</c> for the subresource) and client (the User-Agent).</summary>
public sealed record RequestKey(string Verb, string Resource, string Client);

/// <summary>Counts of resource requests by verb, resource and client, for tests and benchmarks (<see cref="KubeApiServer.Requests"/>).</summary>
public sealed class RequestCounters
{
    private readonly ConcurrentDictionary<RequestKey, long> _counts = new();

    internal void Record(RequestKey key) => _counts.AddOrUpdate(key, 1, (_, n) => n + 1);

    /// <summary>The number of requests matching every given selector (null = any); client matches a User-Agent prefix.</summary>
    public long Count(string? verb = null, string? resource = null, string? client = null) =>
        _counts.Where(kv => (verb is null || kv.Key.Verb == verb)
                            && (resource is null || kv.Key.Resource == resource)
                            && (client is null || kv.Key.Client.StartsWith(client, StringComparison.Ordinal)))
            .Sum(kv => kv.Value);

    public IReadOnlyDictionary<RequestKey, long> Snapshot() => new Dictionary<RequestKey, long>(_counts);

    public void Reset() => _counts.Clear();
}
