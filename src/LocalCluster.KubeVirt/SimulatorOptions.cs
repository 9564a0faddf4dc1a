using System.Collections.Concurrent;
using Vers.Kube;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Timing and faults of <see cref="KubeVirtSimulator"/>, switchable at run time — a real cluster's bad day on demand.
/// The all-in-one host's <c>--sim-latency</c> sets <see cref="Latency"/>; each <c>--sim-fault SPEC</c> goes through
/// <see cref="Apply"/>. Kinds are Kubernetes kind names (<c>DataVolume</c>, <c>VirtualMachineSnapshot</c>, ...); fault
/// specs name resources by plural, as kubectl does (<c>datavolumes</c>, <c>virtualmachinesnapshots</c>, ...).
/// </summary>
public sealed class SimulatorOptions
{
    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Kind, string? Namespace), int> _failNext = new();
    private readonly ConcurrentDictionary<string, bool> _failAll = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _denyCreate = new(StringComparer.Ordinal);

    /// <summary>
    /// The kinds that can be made to fail (<c>fail=</c>), by resource plural, each with a terminal failed state upstream
    /// reaches: a snapshot past its deadline, a clone with invalid content, a DataVolume whose claim is Lost, a
    /// VolumeSnapshot the driver could not cut.
    /// </summary>
    public static IReadOnlyDictionary<string, string> KindsByPlural { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["virtualmachinesnapshots"] = "VirtualMachineSnapshot",
        ["virtualmachineclones"] = "VirtualMachineClone",
        ["datavolumes"] = "DataVolume",
        ["volumesnapshots"] = "VolumeSnapshot",
    };

    /// <summary>How long every simulated progress step takes (a snapshot, a clone, a DataVolume phase, a VM start, a volume provisioned) unless its kind has its own delay.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>Every volume is left out of VM snapshots, as on storage without a VolumeSnapshotClass.</summary>
    public bool ExcludeVolumes { get; set; }

    /// <summary>How long a VM that starts reports <c>ErrorUnschedulable</c> (no node fits its launcher pod) before it is scheduled.</summary>
    public TimeSpan Unschedulable { get; set; } = TimeSpan.Zero;

    /// <summary>Each progress step of objects of <paramref name="kind"/> takes <paramref name="delay"/> (overrides <see cref="Latency"/>).</summary>
    public SimulatorOptions SetDelay(string kind, TimeSpan delay)
    {
        _delays[kind] = delay;
        return this;
    }

    public TimeSpan DelayFor(string kind) => _delays.TryGetValue(kind, out var delay) ? delay : Latency;

    /// <summary>
    /// The next new object of <paramref name="kind"/> — in <paramref name="ns"/> when given, so that a test sharing the
    /// cluster cannot have it taken by another's object — reaches its terminal failed state (once per call).
    /// </summary>
    public SimulatorOptions FailNext(string kind, string? ns = null)
    {
        _failNext.AddOrUpdate((kind, ns), 1, (_, n) => n + 1);
        return this;
    }

    /// <summary>Every new object of <paramref name="kind"/> reaches its terminal failed state, until switched off.</summary>
    public SimulatorOptions FailAll(string kind, bool fail = true)
    {
        _failAll[kind] = fail;
        return this;
    }

    /// <summary>The simulated admission webhook refuses creates of <paramref name="plural"/> with 403, until switched off.</summary>
    public SimulatorOptions DenyCreate(string plural, bool deny = true)
    {
        _denyCreate[plural] = deny;
        return this;
    }

    public bool DeniesCreate(string plural) => _denyCreate.TryGetValue(plural, out var deny) && deny;

    /// <summary>
    /// Applies one <c>--sim-fault</c> spec: <c>deny-create=&lt;plural&gt;</c>, <c>fail=&lt;plural&gt;</c>, <c>exclude-volumes</c>
    /// or <c>unschedulable=&lt;duration&gt;</c>. Throws <see cref="ArgumentException"/> naming what is wrong.
    /// </summary>
    public SimulatorOptions Apply(string spec)
    {
        var eq = spec.IndexOf('=', StringComparison.Ordinal);
        var (name, value) = eq < 0 ? (spec, "") : (spec[..eq], spec[(eq + 1)..]);
        switch (name)
        {
            case "deny-create" when value.Length > 0:
                return DenyCreate(value);
            case "fail" when KindsByPlural.TryGetValue(value, out var kind):
                return FailAll(kind);
            case "fail":
                throw new ArgumentException($"--sim-fault {spec}: fail= takes one of {string.Join(", ", KindsByPlural.Keys)}");
            case "exclude-volumes" when value.Length == 0:
                ExcludeVolumes = true;
                return this;
            case "unschedulable" when Durations.Parse(value) is { } duration:
                Unschedulable = duration;
                return this;
            default:
                throw new ArgumentException(
                    $"--sim-fault {spec}: expected deny-create=<resource plural>, fail=<resource plural>, exclude-volumes or unschedulable=<duration, e.g. 5s>");
        }
    }

    /// <summary>Takes one failure decision for a new object: true consumes a pending <see cref="FailNext"/>.</summary>
    internal bool TakeFailure(string kind, string? ns = null)
    {
        if (_failAll.TryGetValue(kind, out var all) && all)
        {
            return true;
        }

        return (ns is not null && Take((kind, ns))) || Take((kind, null));
    }

    private bool Take((string Kind, string? Namespace) key)
    {
        while (_failNext.TryGetValue(key, out var pending) && pending > 0)
        {
            if (_failNext.TryUpdate(key, pending - 1, pending))
            {
                return true;
            }
        }

        return false;
    }
}
