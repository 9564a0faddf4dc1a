using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.Kube.Client;

namespace Vers.Kube.Informers;

/// <summary>
/// Lists then watches one kind and keeps a cache of it, like client-go's shared informer; several components share
/// one through a <see cref="SharedInformerFactory"/>.
/// Reconnects from the last resourceVersion (bookmarks included); on 410 it relists and diffs the
/// cache against the new list, so deletes missed while disconnected still reach the handlers.
/// </summary>
public sealed class ResourceInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly Counter WatchEvents = Metrics.CreateCounter(
        "vers_informer_events_total", "Watch events received by informers.", "resource", "type");

    private static readonly Counter Relists = Metrics.CreateCounter(
        "vers_informer_relists_total", "Full relists done by informers (start and 410 Gone).", "resource");

    private readonly KubeRestClient _client;
    private readonly InformerOptions _options;
    private readonly System.Text.Json.JsonSerializerOptions _json;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<ObjectKey, T> _cache = new();
    private readonly InformerIndexes<T> _indexes = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _handlersLock = new();

    // Held while the loop applies a change to the cache and tells the handlers, and while a handler joins with a
    // replay of the cache: it then sees every object once, by the replay or by a later event.
    private readonly Lock _delivery = new();
    private Action<WatchEventType, T>[] _handlers = [];
    private string? _resourceVersion;

    public ResourceInformer(IKubernetes client, ResourceType type, ILoggerFactory loggers, InformerOptions? options = null)
    {
        _client = new KubeRestClient(client);
        Type = type;
        _options = options ?? new InformerOptions();

        // The default transform only drops managedFields: skip them while decoding instead of building them first.
        _json = _options.Transform == InformerTransforms.StripManagedFields ? KubeJson.ReadWithoutManagedFields : KubeJson.ReadShared;
        _logger = loggers.CreateLogger($"Vers.Informer.{type.Plural}");
    }

    public ResourceType Type { get; }

    public bool HasSynced => _synced.Task.IsCompletedSuccessfully;

    /// <summary>When the last event or bookmark arrived; feeds a liveness check against silently dead watches.</summary>
    public DateTimeOffset LastActivity { get; private set; } = DateTimeOffset.MinValue;

    public Task WaitForSyncAsync(CancellationToken ct) => _synced.Task.WaitAsync(ct);

    /// <summary>The cached object. It is shared: never mutate it.</summary>
    public T? Get(string? ns, string name) => _cache.TryGetValue(new ObjectKey(Type.Namespaced ? ns : null, name), out var obj) ? obj : null;

    public IReadOnlyList<T> List(string? ns = null) =>
        ns is null ? _cache.Values.ToList() : ByIndex(InformerIndexes<T>.Namespace, ns);

    /// <summary>
    /// Adds an index (client-go's indexer): <paramref name="keys"/> maps an object to the index values it is found
    /// under. Lookups by value then cost the size of the answer, not of the cache. Existing objects are indexed at once.
    /// Users of a shared informer may add the same index (name and function) each; another function under a name
    /// already taken is an <see cref="InvalidOperationException"/>.
    /// </summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> keys) => _indexes.Add(name, keys, _cache);

    /// <summary>The cached objects whose index <paramref name="name"/> has <paramref name="value"/>; shared: never mutate them.</summary>
    public IReadOnlyList<T> ByIndex(string name, string value)
    {
        var keys = _indexes.Keys(name, value);
        var result = new List<T>(keys.Count);
        foreach (var key in keys)
        {
            if (_cache.TryGetValue(key, out var obj))
            {
                result.Add(obj);
            }
        }

        return result;
    }

    /// <summary>
    /// Called after the cache is updated, on the informer's loop: keep it quick (enqueue work). With
    /// <paramref name="replayCached"/>, the handler is first called with <see cref="WatchEventType.Added"/> for every
    /// object already cached (client-go's handler added to a running shared informer): a controller that joins an
    /// informer another user started still sees the objects it holds.
    /// </summary>
    public IDisposable AddHandler(Action<WatchEventType, T> handler, bool replayCached = false)
    {
        if (replayCached)
        {
            lock (_delivery)
            {
                foreach (var obj in _cache.Values)
                {
                    Call(handler, WatchEventType.Added, obj);
                }

                Add(handler);
            }
        }
        else
        {
            Add(handler);
        }

        return new Registration(() =>
        {
            lock (_handlersLock)
            {
                _handlers = _handlers.Where(h => h != handler).ToArray();
            }
        });
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = _options.InitialBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_resourceVersion is null)
                {
                    await RelistAsync(ct);
                }

                await WatchAsync(ct);
                backoff = _options.InitialBackoff;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                _logger.LogInformation("Watch of {Resource} expired at resourceVersion {ResourceVersion}; relisting", Type.QualifiedName, _resourceVersion);
                _resourceVersion = null;
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Watch of {Resource} failed; retrying in {Backoff}", Type.QualifiedName, backoff);
                try
                {
                    await Task.Delay(Jitter(backoff), _options.Time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task RelistAsync(CancellationToken ct)
    {
        Relists.WithLabels(Type.Plural).Inc();
        var fresh = new Dictionary<ObjectKey, T>();
        string? continueToken = null;
        string? listVersion;
        do
        {
            var page = await _client.ListAsync<T>(Type, _options.Namespace, ct, _options.LabelSelector, limit: 500, continueToken: continueToken, json: _json);
            foreach (var item in page.Items)
            {
                var obj = Transform(item);
                fresh[KeyOf(obj)] = obj;
            }

            continueToken = page.Metadata?.ContinueProperty;
            listVersion = page.Metadata?.ResourceVersion;
        }
        while (!string.IsNullOrEmpty(continueToken));

        lock (_delivery)
        {
            foreach (var (key, old) in _cache)
            {
                if (!fresh.ContainsKey(key) && _cache.TryRemove(key, out _))
                {
                    _indexes.Remove(key, old);
                    Notify(WatchEventType.Deleted, old);
                }
            }

            foreach (var (key, obj) in fresh)
            {
                var existed = _cache.TryGetValue(key, out var old);
                _cache[key] = obj;
                _indexes.Replace(key, old, obj);
                if (!existed)
                {
                    Notify(WatchEventType.Added, obj);
                }
                else if (old!.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
                {
                    Notify(WatchEventType.Modified, obj);
                }
            }
        }

        _resourceVersion = listVersion;
        LastActivity = _options.Time.GetUtcNow();
        _synced.TrySetResult();
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        // At least 1 s: timeoutSeconds=0 means "the server default" (30 min), not "immediately".
        var timeout = Math.Max(1, (int)(_options.MinWatchTimeout.TotalSeconds * (1 + Random.Shared.NextDouble())));
        await foreach (var (type, received) in _client.WatchAsync<T>(
            Type, _options.Namespace, _resourceVersion, ct, _options.LabelSelector, timeoutSeconds: timeout, json: _json))
        {
            LastActivity = _options.Time.GetUtcNow();
            WatchEvents.WithLabels(Type.Plural, type.ToString()).Inc();
            if (type == WatchEventType.Bookmark)
            {
                _resourceVersion = received.Metadata?.ResourceVersion ?? _resourceVersion;
                continue;
            }

            var obj = Transform(received);

            var key = KeyOf(obj);
            lock (_delivery)
            {
                if (type == WatchEventType.Deleted)
                {
                    if (_cache.TryRemove(key, out var removed))
                    {
                        _indexes.Remove(key, removed);
                    }
                }
                else
                {
                    _cache.TryGetValue(key, out var old);
                    _cache[key] = obj;
                    _indexes.Replace(key, old, obj);
                }

                _resourceVersion = obj.Metadata.ResourceVersion;
                Notify(type, obj);
            }
        }
    }

    private T Transform(T obj)
    {
        var cached = _options.Transform is { } transform
            ? transform(obj) as T ?? throw new InvalidOperationException($"The informer transform for {Type.QualifiedName} returned another type than {typeof(T).Name}")
            : obj;
        (cached as GenericObject)?.MarkShared();
        return cached;
    }

    private ObjectKey KeyOf(T obj) => new(Type.Namespaced ? obj.Metadata.NamespaceProperty : null, obj.Metadata.Name);

    private void Add(Action<WatchEventType, T> handler)
    {
        lock (_handlersLock)
        {
            _handlers = [.. _handlers, handler];
        }
    }

    private void Notify(WatchEventType type, T obj)
    {
        foreach (var handler in _handlers)
        {
            Call(handler, type, obj);
        }
    }

    private void Call(Action<WatchEventType, T> handler, WatchEventType type, T obj)
    {
        try
        {
            handler(type, obj);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Informer handler for {Resource} failed on {Key}", Type.QualifiedName, KeyOf(obj));
        }
    }

    private static TimeSpan Jitter(TimeSpan d) => d * (0.8 + (Random.Shared.NextDouble() * 0.4));

    private sealed class Registration(Action dispose) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                dispose();
            }
        }
    }
}
