using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;

namespace Vers.Benchmarks;

/// <summary>API requests made by the operator and the fork API (not KubeVirt's simulator), from the API server's counters.</summary>
public static class RequestCounts
{
    private static readonly string[] Writes = ["create", "update", "patch", "delete", "deletecollection"];
    private static readonly string[] Reads = ["get", "list"];

    public readonly record struct Totals(double Writes, double Reads, double Watches);

    /// <summary>The operator's and the fork API's requests, Events apart (they are not part of a fork's budget).</summary>
    public static Totals Read(KubeApiServer server) => Read(server, UserAgents.Operator, UserAgents.ApiShim);

    /// <summary>What the simulated KubeVirt, CDI and storage controllers asked of the API server (events included).</summary>
    public static Totals ReadSimulator(KubeApiServer server) => Read(server, UserAgents.Simulator);

    private static Totals Read(KubeApiServer server, params string[] clients)
    {
        var ours = server.Requests.Snapshot()
            .Where(kv => clients.Any(c => kv.Key.Client.StartsWith(c, StringComparison.Ordinal)))
            .Where(kv => kv.Key.Resource != "events" || clients.Contains(UserAgents.Simulator))
            .ToList();
        return new Totals(
            ours.Where(kv => Writes.Contains(kv.Key.Verb)).Sum(kv => kv.Value),
            ours.Where(kv => Reads.Contains(kv.Key.Verb)).Sum(kv => kv.Value),
            ours.Where(kv => kv.Key.Verb == "watch").Sum(kv => kv.Value));
    }

    /// <summary>Breakdown by component, verb and resource, for the report.</summary>
    public static IEnumerable<string> Describe(KubeApiServer server, int forks, bool simulator = false) =>
        server.Requests.Snapshot()
            .Where(kv => simulator
                ? kv.Key.Client.StartsWith(UserAgents.Simulator, StringComparison.Ordinal)
                : kv.Key.Client.StartsWith(UserAgents.Operator, StringComparison.Ordinal) || kv.Key.Client.StartsWith(UserAgents.ApiShim, StringComparison.Ordinal))
            .OrderBy(kv => kv.Key.Client, StringComparer.Ordinal).ThenBy(kv => kv.Key.Verb, StringComparer.Ordinal).ThenBy(kv => kv.Key.Resource, StringComparer.Ordinal)
            .Select(kv => $"  {kv.Key.Client.Split('/')[0],-16} {kv.Key.Verb,-8} {kv.Key.Resource,-34} {(double)kv.Value / forks,6:0.00} per fork");

    public static Totals PerFork(Totals before, Totals after, int forks) =>
        new((after.Writes - before.Writes) / forks, (after.Reads - before.Reads) / forks, (after.Watches - before.Watches) / forks);
}
