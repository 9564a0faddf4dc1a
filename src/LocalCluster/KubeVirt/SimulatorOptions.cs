using System.Collections.Concurrent;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Delay and failure injection for <see cref="KubeVirtSimulator"/>, switchable at run time. Kinds are the
/// Kubernetes kind names: <c>VirtualMachineSnapshot</c>, <c>VirtualMachineClone</c>, <c>DataVolume</c> and
/// <c>VirtualMachine</c> (delay only: how long a started VM stays <c>Starting</c>).
/// </summary>
public sealed class SimulatorOptions
{
    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failNext = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _failAll = new(StringComparer.Ordinal);

    /// <summary>Delay for kinds without their own entry.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    /// <summary>Holds each new object of <paramref name="kind"/> in its in-progress phase for <paramref name="delay"/>.</summary>
    public SimulatorOptions SetDelay(string kind, TimeSpan delay)
    {
        _delays[kind] = delay;
        return this;
    }

    /// <summary>The next object of <paramref name="kind"/> that is processed fails (once per call).</summary>
    public SimulatorOptions FailNext(string kind)
    {
        _failNext.AddOrUpdate(kind, 1, (_, n) => n + 1);
        return this;
    }

    /// <summary>Every object of <paramref name="kind"/> processed from now on fails, until switched off.</summary>
    public SimulatorOptions FailAll(string kind, bool fail = true)
    {
        _failAll[kind] = fail;
        return this;
    }

    public TimeSpan DelayFor(string kind) => _delays.TryGetValue(kind, out var delay) ? delay : Delay;

    /// <summary>Takes one failure decision for a new object: true consumes a pending <see cref="FailNext"/>.</summary>
    internal bool TakeFailure(string kind)
    {
        if (_failAll.TryGetValue(kind, out var all) && all) return true;
        while (_failNext.TryGetValue(kind, out var pending) && pending > 0)
        {
            if (_failNext.TryUpdate(kind, pending - 1, pending)) return true;
        }
        return false;
    }
}
