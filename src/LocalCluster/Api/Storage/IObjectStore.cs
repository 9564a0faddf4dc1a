namespace Vers.LocalCluster.Api.Storage;

/// <summary>
/// Raw object persistence. Not thread-safe: <see cref="ResourceStore"/> serialises every call under its lock,
/// so an implementation (in memory today, SQLite later) only has to be a keyed map plus the revision counter.
/// Cluster-scoped objects use the empty string as namespace.
/// </summary>
internal interface IObjectStore
{
    /// <summary>The last assigned revision (etcd revision semantics).</summary>
    long Revision { get; }

    /// <summary>Advances and returns the revision counter.</summary>
    long NextRevision();

    StoredObject? Get(string bucket, string ns, string name);

    /// <summary>Objects of a bucket ordered by (namespace, name); all namespaces when <paramref name="ns"/> is null.</summary>
    IEnumerable<StoredObject> List(string bucket, string? ns);

    IEnumerable<string> Buckets { get; }

    void Put(string bucket, string ns, string name, StoredObject obj);

    bool Remove(string bucket, string ns, string name);
}
