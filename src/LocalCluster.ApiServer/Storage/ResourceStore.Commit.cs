using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>
/// Commits and storage health. Two locks: the writer lock (<c>_gate</c>) makes writes one at a time, in revision order,
/// and is held across the durable write; the view lock (<c>_view</c>) is held only to make a committed write visible
/// (the in-memory objects, the revision, the watch fan-out) and by readers. A write waiting on a slow or stuck disk
/// therefore holds up other writes, as etcd's single writer does, but never a read. Lock order: writer, then view.
/// </summary>
internal sealed partial class ResourceStore
{
    /// <summary>How long a readiness probe waits for the writer lock before it reports the storage as stuck.</summary>
    private static readonly TimeSpan ProbeWait = TimeSpan.FromSeconds(2);

    /// <summary>Probes are answered from the last result for this long (a load balancer may probe often).</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _view = new();
    private readonly IStorageBackend? _backend;
    private volatile string? _storageFailure;
    private DateTimeOffset _lastProbe = DateTimeOffset.MinValue;

    /// <summary>Why storage is failing (its last error), or null while writes succeed.</summary>
    public string? StorageFailure => _storageFailure;

    /// <summary>The revision the next write commits; read under the writer lock.</summary>
    private long NextRevision => _objects.Revision + 1;

    /// <summary>
    /// Whether storage takes writes now (the readiness check behind <c>/readyz</c>, as kube-apiserver's etcd check):
    /// a minimal durable write, unless a write holds the writer lock for longer than <see cref="ProbeWait"/> (a stuck disk).
    /// </summary>
    public bool CheckStorage()
    {
        if (_backend is null)
        {
            return true;
        }

        var now = _time.GetUtcNow();
        if (now - _lastProbe < ProbeInterval)
        {
            return _storageFailure is null;
        }

        if (!_gate.TryEnter(ProbeWait))
        {
            MarkFailed($"a write has waited on storage for more than {ProbeWait.TotalSeconds:0} s");
            return false;
        }

        try
        {
            _lastProbe = now;
            _backend.Probe();
            MarkHealthy();
        }
        catch (StorageUnavailableException e)
        {
            MarkFailed(e.Message);
        }
        finally
        {
            _gate.Exit();
        }

        return _storageFailure is null;
    }

    /// <summary>Makes a write durable, then visible; the caller holds the writer lock. Null <paramref name="stored"/> removes.</summary>
    private void Commit(ResourceType type, string operation, string ns, string name, StoredObject? stored, WatchEvent change)
    {
        if (_backend is not null)
        {
            try
            {
                if (stored is null)
                {
                    _backend.Remove(change.Revision, type.StorageKey, ns, name);
                }
                else
                {
                    _backend.Put(change.Revision, type.StorageKey, ns, name, stored);
                }
            }
            catch (StorageUnavailableException e)
            {
                MarkFailed(e.Message);
                throw ApiException.ServerTimeout(type.Name, operation);
            }

            MarkHealthy();
        }

        lock (_view)
        {
            if (stored is null)
            {
                _objects.Remove(type.StorageKey, ns, name);
            }
            else
            {
                _objects.Put(type.StorageKey, ns, name, stored);
            }

            _objects.Revision = change.Revision;
            _hub.Publish(change);
        }

        // The new version, or a deleted object's last state (which the watch history keeps for a while).
        Committed(type.StorageKey, change.Object);
    }

    private void MarkFailed(string reason)
    {
        if (_storageFailure is null)
        {
            LogStorageFailed(reason);
        }

        _storageFailure = reason;
    }

    private void MarkHealthy()
    {
        if (_storageFailure is not null)
        {
            _storageFailure = null;
            LogStorageRecovered();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage failed, writes answer ServerTimeout and /readyz fails until it recovers: {Reason}")]
    private partial void LogStorageFailed(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage recovered: writes succeed again")]
    private partial void LogStorageRecovered();
}
