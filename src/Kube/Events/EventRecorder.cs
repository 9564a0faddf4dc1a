using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.Kube.Client;

namespace Vers.Kube.Events;

/// <summary>
/// Publishes events.k8s.io/v1 Events about objects, like client-go's recorder: recording only queues the Event, and a
/// background sender posts it, so a reconcile never waits on (or fails because of) an Event. Identical events for one
/// object within <see cref="DedupWindow"/> are dropped (<see cref="RecentEvents"/>; client-go's correlator aggregates similar ones); when the queue
/// is full (the API server is slow or down) new events are dropped and counted, as client-go's broadcaster drops them.
/// </summary>
public sealed class EventRecorder : IAsyncDisposable
{
    public static readonly TimeSpan DedupWindow = TimeSpan.FromMinutes(5);

    private static readonly Counter Dropped = Metrics.CreateCounter("vers_events_dropped_total", "Events not published because the queue was full.", "controller");

    private readonly KubeRestClient _client;
    private readonly string _controller;
    private readonly string _instance;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RecentEvents _recent = new(DedupWindow);
    private readonly Channel<Eventsv1Event> _queue = Channel.CreateBounded<Eventsv1Event>(new BoundedChannelOptions(1000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;
    private long _lastStamp;

    public EventRecorder(IKubernetes client, string controller, string instance, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _client = new KubeRestClient(client);
        _controller = controller;
        _instance = instance;
        _logger = loggers.CreateLogger<EventRecorder>();
        _time = time ?? TimeProvider.System;
        _sender = Task.Run(SendAsync);
    }

    /// <summary>Queues a Normal event (returns at once; the CancellationToken is accepted for the callers' symmetry).</summary>
    public Task NormalAsync(IKubernetesObject<V1ObjectMeta> regarding, string reason, string action, string note, CancellationToken ct = default)
    {
        Record(regarding, "Normal", reason, action, note);
        return Task.CompletedTask;
    }

    /// <summary>Queues a Warning event (returns at once).</summary>
    public Task WarningAsync(IKubernetesObject<V1ObjectMeta> regarding, string reason, string action, string note, CancellationToken ct = default)
    {
        Record(regarding, "Warning", reason, action, note);
        return Task.CompletedTask;
    }

    /// <summary>Posts what is queued (for up to 2 s), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _sender.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync();
        }

        _stop.Dispose();
    }

    /// <summary>The event name's timestamp: nanoseconds, bumped past the last one so two events of one instant differ.</summary>
    private long NextStamp(long nanos)
    {
        long last, next;
        do
        {
            last = Volatile.Read(ref _lastStamp);
            next = Math.Max(last + 1, nanos);
        }
        while (Interlocked.CompareExchange(ref _lastStamp, next, last) != last);

        return next;
    }

    private void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string action, string note)
    {
        var now = _time.GetUtcNow();
        if (!_recent.TryRecord(regarding.Metadata.Uid ?? "", type, reason, note, now))
        {
            return;
        }

        var ev = new Eventsv1Event
        {
            ApiVersion = "events.k8s.io/v1",
            Kind = "Event",
            // Named as client-go's tools/events recorder names them (name.<unix nanoseconds in hex>): events.k8s.io/v1
            // checks generateName as a DNS subdomain, which "name." is not, so the API server refuses it as a prefix.
            Metadata = new V1ObjectMeta
            {
                Name = $"{regarding.Metadata.Name}.{NextStamp((now - DateTimeOffset.UnixEpoch).Ticks * 100):x}",
                NamespaceProperty = regarding.Metadata.NamespaceProperty ?? "default",
            },
            EventTime = now.UtcDateTime,
            ReportingController = _controller,
            ReportingInstance = _instance,
            Action = action,
            Reason = reason,
            Type = type,
            Note = note.Length > 1024 ? note[..1024] : note,
            Regarding = new V1ObjectReference
            {
                ApiVersion = regarding.ApiVersion,
                Kind = regarding.Kind,
                Name = regarding.Metadata.Name,
                NamespaceProperty = regarding.Metadata.NamespaceProperty,
                Uid = regarding.Metadata.Uid,
                ResourceVersion = regarding.Metadata.ResourceVersion,
            },
        };
        if (!_queue.Writer.TryWrite(ev))
        {
            Dropped.WithLabels(_controller).Inc();
        }
    }

    private async Task SendAsync()
    {
        await foreach (var ev in _queue.Reader.ReadAllAsync(_stop.Token))
        {
            try
            {
                await _client.CreateAsync(ResourceType.EventV1, ev.Metadata.NamespaceProperty, ev, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Could not publish event {Reason} for {Kind} {Namespace}/{Name}", ev.Reason, ev.Regarding.Kind, ev.Metadata.NamespaceProperty, ev.Regarding.Name);
            }
        }
    }
}
