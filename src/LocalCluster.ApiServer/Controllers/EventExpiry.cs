using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Controllers;

/// <summary>
/// Events expire, as in kube-apiserver: pkg/registry/core/event/storage <c>NewREST</c> gives the events store a
/// <c>TTLFunc</c> that returns <c>--event-ttl</c> (one hour by default, cmd/kube-apiserver options <c>EventTTL</c>) for
/// every create and update, so etcd's lease removes an Event that long after its last write (a series' count bump
/// renews it), and watchers see it DELETED. events.k8s.io/v1 Events share that storage. Without this a long-running
/// embedded cluster would keep every Event it was ever sent. The deadlines are in memory: after a restart over a data
/// directory, each stored Event gets a full TTL again (etcd's leases would have kept theirs).
/// </summary>
internal sealed partial class EventExpiry : IAsyncDisposable
{
    private readonly ResourceStore _store;
    private readonly ResourceType _events;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly WatchSubscription _subscription;
    private PriorityQueue<(string Namespace, string Name, string ResourceVersion), DateTimeOffset> _due = new();

    // Events stored now; deadlines of deleted or rewritten Events stay queued until due, so the queue is compacted
    // when it holds more than twice as many (a deleted namespace's Events would otherwise be held for the full TTL).
    private int _live;
    private readonly Task _loop;

    public EventExpiry(ResourceStore store, ResourceType events, TimeSpan ttl, TimeProvider time, ILogger logger)
    {
        _store = store;
        _events = events;
        _ttl = ttl;
        _time = time;
        _logger = logger;
        (_subscription, var initial) = store.StartWatch(events, fromRevision: null);
        var now = time.GetUtcNow();
        foreach (var stored in initial)
        {
            _due.Enqueue((stored.Namespace, stored.Name, stored.ResourceVersion), now + ttl);
        }

        _live = initial.Count;

        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var reader = _subscription.Channel.Reader;
        var incoming = reader.WaitToReadAsync(_stop.Token).AsTask();
        while (!_stop.IsCancellationRequested)
        {
            while (reader.TryRead(out var e))
            {
                // Each write renews the lease: the deadline counts from the newest version; older entries find their
                // version gone and are dropped.
                if (e.Type is "ADDED" or "MODIFIED")
                {
                    _due.Enqueue((e.Object.Namespace, e.Object.Name, e.Object.ResourceVersion), _time.GetUtcNow() + _ttl);
                }

                _live += e.Type switch { "ADDED" => 1, "DELETED" => -1, _ => 0 };
            }

            if (_due.Count > 1024 && _due.Count > 2 * _live)
            {
                Compact();
            }

            ExpireDue();
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var next = _due.TryPeek(out _, out var due)
                ? Task.Delay(Max(due - _time.GetUtcNow(), TimeSpan.Zero), _time, wake.Token)
                : Task.Delay(Timeout.InfiniteTimeSpan, _time, wake.Token);
            try
            {
                await Task.WhenAny(incoming, next);
                if (incoming.IsCompleted)
                {
                    if (!await incoming)
                    {
                        return;
                    }

                    incoming = reader.WaitToReadAsync(_stop.Token).AsTask();
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                await wake.CancelAsync();
            }
        }
    }

    private void ExpireDue()
    {
        var now = _time.GetUtcNow();
        while (_due.TryPeek(out var item, out var due) && due <= now)
        {
            _due.Dequeue();
            try
            {
                // Only the version the deadline belongs to: a newer write renewed the lease (and queued its own deadline).
                _store.Delete(_events, item.Namespace, item.Name, new DeleteOptions(PreconditionResourceVersion: item.ResourceVersion));
            }
            catch (ApiException e) when (e.Code is 404 or 409)
            {
                // Deleted already, or written again since.
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogExpiryFailed(e, item.Namespace, item.Name);
            }
        }
    }

    /// <summary>Keeps only the deadlines of the versions still stored.</summary>
    private void Compact()
    {
        var current = new PriorityQueue<(string Namespace, string Name, string ResourceVersion), DateTimeOffset>(Math.Max(_live, 0));
        foreach (var (item, due) in _due.UnorderedItems)
        {
            if (_store.Get(_events, item.Namespace, item.Name)?.ResourceVersion == item.ResourceVersion)
            {
                current.Enqueue(item, due);
            }
        }

        _due = current;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _store.StopWatch(_subscription);
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not expire Event {Namespace}/{Name}")]
    private partial void LogExpiryFailed(Exception e, string @namespace, string name);
}
