namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>
/// Durable storage under <see cref="ResourceStore"/>, which keeps what it serves in memory and calls a backend only
/// from its writer lock, one write at a time. Each write carries the revision it commits, so the revision counter
/// is durable with the objects. A write that throws changed nothing the store will serve; the store answers it as
/// unavailable storage (see <see cref="StorageUnavailableException"/>).
/// Cluster-scoped objects use the empty string as namespace.
/// </summary>
internal interface IStorageBackend : IDisposable
{
    /// <summary>Reads every stored object into <paramref name="view"/> and sets its revision.</summary>
    void LoadInto(InMemoryObjectStore view);

    void Put(long revision, string bucket, string ns, string name, StoredObject obj);

    void Remove(long revision, string bucket, string ns, string name);

    /// <summary>A minimal durable write, so health reflects the disk as it is now.</summary>
    void Probe();
}

/// <summary>The storage under the API server failed to read or write (disk full, I/O error, locked by another program).</summary>
internal sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);
