using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.Operator.Runtime.Client;

namespace Vers.Operator.Runtime.Events;

/// <summary>
/// Publishes events.k8s.io/v1 Events about objects. Identical events for one object within
/// <see cref="DedupWindow"/> are dropped (client-go's recorder aggregates similarly). Publishing never
/// fails the caller: an event is an observation, not part of the work.
/// </summary>
public sealed class EventRecorder(IKubernetes client, string controller, string instance, ILoggerFactory loggers, TimeProvider? time = null)
{
    public static readonly TimeSpan DedupWindow = TimeSpan.FromMinutes(5);

    private readonly KubeRestClient _client = new(client);
    private readonly ILogger _logger = loggers.CreateLogger<EventRecorder>();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new();

    public Task NormalAsync(IKubernetesObject<V1ObjectMeta> regarding, string reason, string action, string note, CancellationToken ct) =>
        PublishAsync(regarding, "Normal", reason, action, note, ct);

    public Task WarningAsync(IKubernetesObject<V1ObjectMeta> regarding, string reason, string action, string note, CancellationToken ct) =>
        PublishAsync(regarding, "Warning", reason, action, note, ct);

    private async Task PublishAsync(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string action, string note, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var key = $"{regarding.Metadata.Uid}|{type}|{reason}|{note}";
        if (_recent.TryGetValue(key, out var last) && now - last < DedupWindow)
        {
            return;
        }

        _recent[key] = now;
        if (_recent.Count > 10_000)
        {
            foreach (var (k, at) in _recent)
            {
                if (now - at >= DedupWindow)
                {
                    _recent.TryRemove(k, out _);
                }
            }
        }

        var ns = regarding.Metadata.NamespaceProperty ?? "default";
        var ev = new Eventsv1Event
        {
            ApiVersion = "events.k8s.io/v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { GenerateName = $"{regarding.Metadata.Name}.", NamespaceProperty = ns },
            EventTime = now.UtcDateTime,
            ReportingController = controller,
            ReportingInstance = instance,
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
        try
        {
            await _client.CreateAsync(ResourceType.EventV1, ns, ev, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Could not publish event {Reason} for {Kind} {Namespace}/{Name}", reason, regarding.Kind, ns, regarding.Metadata.Name);
        }
    }
}
