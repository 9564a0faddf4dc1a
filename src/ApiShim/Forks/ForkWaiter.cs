using k8s;
using Vers.Api;
using Vers.Kube;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Forks;

/// <summary>
/// Lets requests wait for a RepositoryFork to finish through one shared informer: each request
/// registers a waiter for its object, and the informer's events complete it. No watch per request,
/// no polling.
/// </summary>
public sealed class ForkWaiter
{
    private readonly ResourceInformer<RepositoryFork> _forks;
    private readonly Dictionary<ObjectKey, Waiter> _waiters = [];
    private readonly Lock _gate = new();

    public ForkWaiter(ResourceInformer<RepositoryFork> forks)
    {
        _forks = forks;
        forks.AddHandler(OnEvent);
    }

    /// <summary>The finished fork, or null when <paramref name="timeout"/> passed first or the fork was deleted.</summary>
    public async Task<RepositoryFork?> WaitAsync(ObjectKey key, TimeSpan timeout, CancellationToken ct)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (!_waiters.TryGetValue(key, out waiter!))
            {
                _waiters[key] = waiter = new Waiter();
            }

            waiter.Count++;
        }

        try
        {
            // Registered first, then checked: an event between the two cannot be missed.
            if (_forks.Get(key.Namespace, key.Name) is { } current && IsFinished(current))
            {
                return current;
            }

            return await waiter.Completion.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            lock (_gate)
            {
                // Several requests (idempotent replays) may wait on one fork; the last one out unregisters.
                if (--waiter.Count == 0 && _waiters.TryGetValue(key, out var registered) && registered == waiter)
                {
                    _waiters.Remove(key);
                }
            }
        }
    }

    public static bool IsFinished(RepositoryFork fork) => fork.Status?.Phase is ForkPhase.Succeeded or ForkPhase.Failed;

    private void OnEvent(WatchEventType type, RepositoryFork fork)
    {
        Waiter? waiter;
        lock (_gate)
        {
            if (!_waiters.TryGetValue(ObjectKey.Of(fork), out waiter))
            {
                return;
            }
        }

        if (IsFinished(fork))
        {
            waiter.Completion.TrySetResult(fork);
        }
        else if (type == WatchEventType.Deleted)
        {
            waiter.Completion.TrySetException(new InvalidOperationException($"RepositoryFork {ObjectKey.Of(fork)} was deleted before it finished"));
        }
    }

    private sealed class Waiter
    {
        public TaskCompletionSource<RepositoryFork> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count { get; set; }
    }
}
