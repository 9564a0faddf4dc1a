using System.Threading.Channels;
using Prometheus;

namespace Vers.Operator.Runtime.Queue;

/// <summary>
/// client-go's rate-limited work queue: a key waiting once is queued once (bursts coalesce), a key
/// being processed is never handed to a second worker, and a key added during processing is handed
/// out again after <see cref="Done"/>, so no change is lost.
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private static readonly Gauge Depth = Metrics.CreateGauge("workqueue_depth", "Current depth of the work queue.", "name");
    private static readonly Counter Adds = Metrics.CreateCounter("workqueue_adds_total", "Total number of adds handled by the work queue.", "name");
    private static readonly Counter Retries = Metrics.CreateCounter("workqueue_retries_total", "Total number of retries handled by the work queue.", "name");

    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>();
    private readonly HashSet<string> _dirty = [];
    private readonly HashSet<string> _processing = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ExponentialBackoff _backoff;
    private readonly TimeProvider _time;
    private readonly string _name;

    public WorkQueue(string name, ExponentialBackoff? backoff = null, TimeProvider? time = null)
    {
        _name = name;
        _backoff = backoff ?? ExponentialBackoff.Default();
        _time = time ?? TimeProvider.System;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _dirty.Count;
            }
        }
    }

    public void Add(string key)
    {
        lock (_gate)
        {
            if (!_dirty.Add(key))
            {
                return;
            }

            Adds.WithLabels(_name).Inc();
            Depth.WithLabels(_name).Set(_dirty.Count);
            if (!_processing.Contains(key))
            {
                _ready.Writer.TryWrite(key);
            }
        }
    }

    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        // A one-shot timer per delayed key; the shutdown token stops pending ones.
        System.Threading.ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                timer?.Dispose();
                if (!_shutdown.IsCancellationRequested)
                {
                    Add(key);
                }
            },
            null,
            delay,
            Timeout.InfiniteTimeSpan);
    }

    public void AddRateLimited(string key)
    {
        Retries.WithLabels(_name).Inc();
        AddAfter(key, _backoff.When(key));
    }

    public void Forget(string key) => _backoff.Forget(key);

    public int Failures(string key) => _backoff.Failures(key);

    public async ValueTask<string> GetAsync(CancellationToken ct)
    {
        while (true)
        {
            var key = await _ready.Reader.ReadAsync(ct);
            lock (_gate)
            {
                // Stale entry: the key was already handed out through a later write.
                if (_processing.Contains(key) || !_dirty.Remove(key))
                {
                    continue;
                }

                _processing.Add(key);
                Depth.WithLabels(_name).Set(_dirty.Count);
                return key;
            }
        }
    }

    public void Done(string key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key))
            {
                _ready.Writer.TryWrite(key);
            }
        }
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _ready.Writer.TryComplete();
        _shutdown.Dispose();
    }
}
