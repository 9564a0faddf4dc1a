using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Vers.Kube.Informers;

/// <summary>
/// Hands out one <see cref="ResourceInformer{T}"/> per resource, C# type and <see cref="InformerOptions"/> (client-go's
/// <c>SharedInformerFactory</c>, controller-runtime's shared cache): every user that asks for the same key gets the same
/// informer, so a kind several components read is listed, watched and cached once.
/// </summary>
/// <remarks>
/// <para>
/// <b>Key.</b> Options are compared as a record: namespace, label selector and transform (a delegate: equal when it is
/// the same method on the same target), and also the clock and watch timings. Users that differ in any of them get
/// informers of their own; so do a typed and a <see cref="GenericObject"/> view of one kind.
/// </para>
/// <para>
/// <b>Users.</b> Each adds its own handlers and indexes. A handler added to an informer that already holds objects is
/// only told of later changes, unless it asks for a replay (<see cref="ResourceInformer{T}.AddHandler(Action{k8s.WatchEventType, T}, bool)"/>,
/// as controllers do). Index names are shared by all users of an informer: the same name with the same function is one
/// index, the same name with another function is an error. Cached objects are shared by every user: never mutate them.
/// </para>
/// <para>
/// <b>Lifetime.</b> <see cref="Start"/> starts the informers not running yet and is idempotent; informers asked for
/// after it start at once. Each user calls it from its own start and then waits for its own informers to sync
/// (<see cref="ResourceInformer{T}.WaitForSyncAsync"/>). Disposing stops every informer once; the owner of the factory
/// does that after its users have stopped.
/// </para>
/// <para>
/// <b>Identity.</b> Every informer lists and watches with the factory's client: give a factory shared by several
/// components the client whose rights cover what all of them read.
/// </para>
/// </remarks>
public sealed class SharedInformerFactory : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly ILoggerFactory _loggers;
    private readonly Lock _gate = new();
    private readonly Dictionary<Key, Entry> _informers = [];
    private readonly CancellationTokenSource _stop = new();
    private bool _started;
    private Task? _stopped;

    public SharedInformerFactory(IKubernetes client, ILoggerFactory loggers)
    {
        _client = client;
        _loggers = loggers;
    }

    /// <summary>The informers handed out so far: resource, C# type, options.</summary>
    public IReadOnlyList<(ResourceType Type, Type ObjectType, InformerOptions Options)> Informers
    {
        get
        {
            lock (_gate)
            {
                return [.. _informers.Keys.Select(k => (k.Type, k.ObjectType, k.Options))];
            }
        }
    }

    /// <summary>The informer of <paramref name="type"/> as <typeparamref name="T"/> with <paramref name="options"/>: an existing one when the key matches.</summary>
    public ResourceInformer<T> Informer<T>(ResourceType type, InformerOptions? options = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var key = new Key(type, typeof(T), options ?? new InformerOptions());
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped is not null, this);
            if (_informers.TryGetValue(key, out var existing))
            {
                return (ResourceInformer<T>)existing.Informer;
            }

            var informer = new ResourceInformer<T>(_client, type, _loggers, key.Options);
            var entry = new Entry(informer, informer.RunAsync);
            _informers[key] = entry;
            if (_started)
            {
                entry.Start(_stop.Token);
            }

            return informer;
        }
    }

    /// <summary>Starts the informers not running yet; those asked for later start at once. Idempotent.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped is not null, this);
            _started = true;
            foreach (var entry in _informers.Values)
            {
                entry.Start(_stop.Token);
            }
        }
    }

    /// <summary>Stops every informer (once) and waits for their loops to end; every call waits for the same stop.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _stopped ??= StopAsync([.. _informers.Values.Select(e => e.Running).OfType<Task>()]);
            return new ValueTask(_stopped);
        }
    }

    private async Task StopAsync(List<Task> running)
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(running);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private sealed record Key(ResourceType Type, Type ObjectType, InformerOptions Options);

    private sealed class Entry(object informer, Func<CancellationToken, Task> run)
    {
        public object Informer { get; } = informer;

        public Task? Running { get; private set; }

        public void Start(CancellationToken ct) => Running ??= Task.Run(() => run(ct), CancellationToken.None);
    }
}
