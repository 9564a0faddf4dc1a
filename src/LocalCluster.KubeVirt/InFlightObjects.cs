using System.Collections.Concurrent;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// What the simulator remembers of the objects it is working on: when each progress step of an object started and
/// whether the object is to fail. One small entry per object, by uid, so that forgetting an object (seen terminal or
/// deleted) is one removal, not a scan of every decision held, and a mass deletion leaves nothing behind.
/// </summary>
internal sealed class InFlightObjects
{
    private readonly ConcurrentDictionary<string, Entry> _byUid = new(StringComparer.Ordinal);

    /// <summary>Objects with a step started or a decision taken.</summary>
    public int Count => _byUid.Count;

    /// <summary>When <paramref name="step"/> of the object started: <paramref name="now"/>, the first time it is asked for.</summary>
    public DateTimeOffset StepStarted(string uid, string step, DateTimeOffset now)
    {
        var entry = _byUid.GetOrAdd(uid, static _ => new Entry());
        lock (entry)
        {
            foreach (var (name, started) in entry.Steps)
            {
                if (name == step)
                {
                    return started;
                }
            }

            entry.Steps.Add((step, now));
            return now;
        }
    }

    /// <summary>
    /// Whether the object is to fail in <paramref name="kind"/>'s controller: <paramref name="decide"/> runs once per
    /// object and kind (a fault rule is consumed once), and its answer is kept.
    /// </summary>
    public bool Fails(string uid, string kind, Func<bool> decide)
    {
        var entry = _byUid.GetOrAdd(uid, static _ => new Entry());
        lock (entry)
        {
            foreach (var (name, fails) in entry.Decisions)
            {
                if (name == kind)
                {
                    return fails;
                }
            }

            var decision = decide();
            entry.Decisions.Add((kind, decision));
            return decision;
        }
    }

    /// <summary>Drops the object's steps and decisions.</summary>
    public void Forget(string uid) => _byUid.TryRemove(uid, out _);

    private sealed class Entry
    {
        public List<(string Step, DateTimeOffset Started)> Steps { get; } = new(1);

        public List<(string Kind, bool Fails)> Decisions { get; } = new(1);
    }
}
