using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.Kube.Informers;
using Vers.Kube.Queue;

namespace Vers.Kube.Controllers;

/// <summary>
/// sample-controller's loop: informer events → keys in a work queue → N workers → reconcile of a deep
/// copy of the cached object. Errors are retried with per-key exponential backoff, forever.
/// </summary>
public sealed class Controller<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly Counter ReconcileTotal = Metrics.CreateCounter(
        "controller_runtime_reconcile_total", "Total number of reconciliations per controller.", "controller", "result");

    private static readonly Counter ReconcileErrors = Metrics.CreateCounter(
        "controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller.", "controller");

    private static readonly Counter TerminalErrors = Metrics.CreateCounter(
        "controller_runtime_terminal_reconcile_errors_total", "Total number of terminal reconciliation errors per controller.", "controller");

    private static readonly Histogram ReconcileTime = Metrics.CreateHistogram(
        "controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller.",
        new HistogramConfiguration { LabelNames = ["controller"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    private static readonly Gauge ActiveWorkers = Metrics.CreateGauge(
        "controller_runtime_active_workers", "Number of currently used workers per controller.", "controller");

    private readonly string _name;
    private readonly ResourceInformer<T> _informer;
    private readonly IReconciler<T> _reconciler;
    private readonly ControllerOptions _options;
    private readonly ILogger _logger;
    private readonly WorkQueue _queue;
    private readonly List<Func<CancellationToken, Task>> _syncWaits = [];

    public Controller(string name, ResourceInformer<T> informer, IReconciler<T> reconciler, ILoggerFactory loggers, ControllerOptions? options = null)
    {
        _name = name;
        _informer = informer;
        _reconciler = reconciler;
        _options = options ?? new ControllerOptions();
        _logger = loggers.CreateLogger($"Vers.Controller.{name}");
        _queue = new WorkQueue(name, new ExponentialBackoff(_options.BackoffBase, _options.BackoffMax), _options.Time);
        // With a replay: on an informer another user already runs (SharedInformerFactory), the objects it holds are ours too.
        informer.AddHandler((_, obj) => Enqueue(ObjectKey.Of(obj)), replayCached: true);
        _syncWaits.Add(informer.WaitForSyncAsync);
    }

    /// <summary>Keys being reconciled or waiting for a worker (delayed retries not counted): zero when idle.</summary>
    public int Unfinished => _queue.Unfinished;

    /// <summary>Wakes the keys <paramref name="map"/> names whenever an object of another kind changes (children → owner).</summary>
    public Controller<T> Watches<TOther>(ResourceInformer<TOther> other, Func<TOther, IEnumerable<ObjectKey>> map)
        where TOther : class, IKubernetesObject<V1ObjectMeta> =>
        Watches(other, (WatchEventType _, TOther obj) => map(obj));

    /// <summary>As above, for a map that needs the event type (one that remembers what an object pointed at before).</summary>
    public Controller<T> Watches<TOther>(ResourceInformer<TOther> other, Func<WatchEventType, TOther, IEnumerable<ObjectKey>> map)
        where TOther : class, IKubernetesObject<V1ObjectMeta>
    {
        other.AddHandler(
            (type, obj) =>
            {
                foreach (var key in map(type, obj))
                {
                    Enqueue(key);
                }
            },
            replayCached: true);
        _syncWaits.Add(other.WaitForSyncAsync);
        return this;
    }

    public void Enqueue(ObjectKey key) => _queue.Add(Encode(key));

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await Task.WhenAll(_syncWaits.Select(wait => wait(ct)));
            _logger.LogInformation("Controller {Controller} starting {Workers} workers", _name, _options.Workers);
            await Task.WhenAll(Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(() => WorkAsync(ct), ct)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Normal shutdown.
        }
        finally
        {
            _queue.Dispose();
        }
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var key = await _queue.GetAsync(ct);
            ActiveWorkers.WithLabels(_name).Inc();
            try
            {
                await ProcessAsync(key, ct);
            }
            finally
            {
                ActiveWorkers.WithLabels(_name).Dec();
                _queue.Done(key);
            }
        }
    }

    private async Task ProcessAsync(string key, CancellationToken ct)
    {
        var objectKey = Decode(key);
        var cached = _informer.Get(objectKey.Namespace, objectKey.Name);
        if (cached is null)
        {
            // Gone: anything that must happen on deletion runs behind a finalizer, while the object still exists.
            _queue.Forget(key);
            return;
        }

        var copy = KubeJson.DeepCopy(cached);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await _reconciler.ReconcileAsync(copy, ct);
            _queue.Forget(key);
            if (result.RequeueAfter is { } after && after > TimeSpan.Zero)
            {
                // Queued before it is counted: whoever sees the count may rely on the requeue being pending.
                _queue.AddAfter(key, after);
                ReconcileTotal.WithLabels(_name, "requeue_after").Inc();
            }
            else
            {
                ReconcileTotal.WithLabels(_name, "success").Inc();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (TerminalReconcileException e)
        {
            ReconcileTotal.WithLabels(_name, "error").Inc();
            TerminalErrors.WithLabels(_name).Inc();
            _queue.Forget(key);
            _logger.LogError(e, "Reconcile of {Key} failed terminally", objectKey);
        }
        catch (Exception e)
        {
            var failures = _queue.Failures(key);
            _queue.AddRateLimited(key);
            ReconcileTotal.WithLabels(_name, "error").Inc();
            ReconcileErrors.WithLabels(_name).Inc();
            _logger.Log(
                failures < 3 ? LogLevel.Information : LogLevel.Warning,
                e,
                "Reconcile of {Key} failed (attempt {Attempt}); retrying with backoff",
                objectKey,
                failures + 1);
        }
        finally
        {
            ReconcileTime.WithLabels(_name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static string Encode(ObjectKey key) => key.Namespace is null ? key.Name : $"{key.Namespace}/{key.Name}";

    private static ObjectKey Decode(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new ObjectKey(null, key) : new ObjectKey(key[..slash], key[(slash + 1)..]);
    }
}
