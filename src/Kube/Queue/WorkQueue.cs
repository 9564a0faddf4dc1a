using System.Threading.Channels;
using Prometheus;

namespace Vers.Kube.Queue;

/// <summary>
/// client-go's rate-limited work queue: a key waiting once is queued once (bursts coalesce), a key
/// being processed is never handed to a second worker, and a key added during processing is handed
/// out again after <see cref="Done"/>, so no change is lost. Delayed adds are client-go's delaying
/// queue: one due time per key (the earliest asked for), kept in a heap served by a single timer.
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
    private readonly Dictionary<string, DateTimeOffset> _due = [];

    // Entries go stale when a key's due time moves earlier; _due is the truth and stale entries are skipped.
    private readonly PriorityQueue<string, DateTimeOffset> _heap = new();
    private readonly System.Threading.ITimer _timer;
    private readonly ExponentialBackoff _backoff;
    private readonly TimeProvider _time;
    private readonly string _name;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;
    private bool _shutDown;

    public WorkQueue(string name, ExponentialBackoff? backoff = null, TimeProvider? time = null)
    {
        _name = name;
        _backoff = backoff ?? ExponentialBackoff.Default();
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
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

    /// <summary>Keys handed out or waiting to be (not those still waiting for a delayed add): zero when the workers are idle.</summary>
    public int Unfinished
    {
        get
        {
            lock (_gate)
            {
                var count = _processing.Count;
                foreach (var key in _dirty)
                {
                    count += _processing.Contains(key) ? 0 : 1;
                }

                return count;
            }
        }
    }

    /// <summary>Keys waiting for a delayed add to fall due (each once, however often it was delayed).</summary>
    public int Delayed
    {
        get
        {
            lock (_gate)
            {
                return _due.Count;
            }
        }
    }

    public void Add(string key)
    {
        lock (_gate)
        {
            AddLocked(key);
        }
    }

    /// <summary>Adds <paramref name="key"/> once <paramref name="delay"/> has passed, unless an earlier add of it is already pending.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        var due = _time.GetUtcNow() + delay;
        lock (_gate)
        {
            if (_shutDown || (_due.TryGetValue(key, out var pending) && pending <= due))
            {
                return;
            }

            _due[key] = due;
            _heap.Enqueue(key, due);
            if (_heap.Count > (2 * _due.Count) + 64)
            {
                // Many stale entries (keys moved earlier again and again): rebuild from the truth.
                _heap.Clear();
                _heap.EnqueueRange(_due.Select(e => (e.Key, e.Value)));
            }

            ScheduleLocked();
        }
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
        lock (_gate)
        {
            _shutDown = true;
            _due.Clear();
            _heap.Clear();
            _ready.Writer.TryComplete();
        }

        _timer.Dispose();
    }

    private void AddLocked(string key)
    {
        if (_shutDown || !_dirty.Add(key))
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

    private void OnTimer()
    {
        lock (_gate)
        {
            _timerDue = DateTimeOffset.MaxValue;
            var now = _time.GetUtcNow();
            while (!_shutDown && _heap.TryPeek(out var key, out var due) && due <= now)
            {
                _heap.Dequeue();
                if (_due.TryGetValue(key, out var current) && current == due)
                {
                    _due.Remove(key);
                    AddLocked(key);
                }
            }

            ScheduleLocked();
        }
    }

    /// <summary>Points the timer at the earliest pending due time unless it already fires by then.</summary>
    private void ScheduleLocked()
    {
        while (_heap.TryPeek(out var key, out var due))
        {
            if (_due.TryGetValue(key, out var current) && current == due)
            {
                if (!_shutDown && due < _timerDue)
                {
                    _timerDue = due;
                    var wait = due - _time.GetUtcNow();
                    _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                }

                return;
            }

            _heap.Dequeue();
        }
    }
}
