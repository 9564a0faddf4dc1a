using Vers.LocalCluster.Api;

namespace Vers.Benchmarks;

/// <summary>API requests made by the operator and the shim, from the API server's counters.</summary>
public static class RequestCounts
{
    public readonly record struct Totals(double Writes, double Reads, double Watches);

    public static Totals? Read(KubeApiServer server) => null;

    public static Totals? PerFork(Totals? before, Totals? after, int forks) =>
        before is { } b && after is { } a && forks > 0
            ? new Totals((a.Writes - b.Writes) / forks, (a.Reads - b.Reads) / forks, (a.Watches - b.Watches) / forks)
            : null;
}
