using System.Diagnostics;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// Forks under injected faults: 10% of the operator's requests fail (500, 429 with Retry-After, 409 — a third
/// each), each of its requests waits 50 ms more, and every watch (operator's and simulator's) is dropped every 2 s.
/// VERS_RELIABILITY_FAULT_FORKS forks (default 300) across VERS_RELIABILITY_FAULT_ORGS orgs (default 10), half
/// across orgs (DataVolumes) and half within an org (VirtualMachineClone), must all succeed, with zero duplicates,
/// zero stuck and zero orphans.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FaultInjectionTests : IAsyncLifetime
{
    private const double ErrorRatePerKind = 0.0345; // 1 - (1 - 0.0345)^3 ≈ 10% of requests fail
    private TestStack _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await ReliabilityHost.StartAsync(o => o with { RunOperator = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Hundreds_of_forks_across_orgs_all_converge_under_errors_latency_and_dropped_watches_with_nothing_doubled_stuck_or_orphaned()
    {
        var forkCount = Figures.FromEnvironment("VERS_RELIABILITY_FAULT_FORKS", 300);
        var orgCount = Figures.FromEnvironment("VERS_RELIABILITY_FAULT_ORGS", 10);
        var orgs = Enumerable.Range(0, orgCount).Select(i => $"faults-{i}").ToList();
        var baselines = new Dictionary<string, HashSet<(string Kind, string Name)>>();
        foreach (var org in orgs)
        {
            await _host.EnsureOrgAsync(org);
            await _host.PublishAsync(org, "base");
            baselines[org] = (await _host.Inventory.OfAsync(org, TestStack.Ct)).Names;
        }

        var faults = _host.KubeApi.Faults;
        faults.Reseed(9);
        faults.Add(new FaultRule { Client = UserAgents.Operator, ErrorRate = ErrorRatePerKind, Kind = FaultKind.InternalError, Latency = TimeSpan.FromMilliseconds(50) });
        faults.Add(new FaultRule { Client = UserAgents.Operator, ErrorRate = ErrorRatePerKind, Kind = FaultKind.TooManyRequests, RetryAfterSeconds = 1 });
        faults.Add(new FaultRule { Client = UserAgents.Operator, ErrorRate = ErrorRatePerKind, Kind = FaultKind.Conflict });
        faults.DropWatchesEvery(TimeSpan.FromSeconds(2));
        var counter = new ResponseCounter();
        var clock = Stopwatch.StartNew();
        try
        {
            await using var op = _host.NewOperator("operator-under-faults", _host.OperatorClient(counter), workers: 16);
            await op.StartAsync(TestStack.Ct);

            // The forks arrive while the operator runs, a few at a time, as from many users.
            var forks = Enumerable.Range(0, forkCount).Select(i =>
            {
                var org = orgs[i % orgCount];
                return i % 2 == 0
                    ? (Org: org, Name: $"fork-{i}", SourceOrg: TestStack.SourceOrg, SourceRepo: i % 4 == 0 ? "node" : "python", Repo: $"f{i}")
                    : (Org: org, Name: $"fork-{i}", SourceOrg: org, SourceRepo: "base", Repo: $"f{i}");
            }).ToList();
            await Parallel.ForEachAsync(forks, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestStack.Ct }, async (f, _) =>
                await _host.CreateForkAsync(f.Org, f.Name, f.SourceOrg, f.SourceRepo, f.Repo));

            var deadline = TimeSpan.FromSeconds(Figures.FromEnvironment("VERS_RELIABILITY_FAULT_DEADLINE_SECONDS", 240));
            var finished = await UntilAllFinishedAsync(orgs, forkCount, deadline);
            var converged = clock.Elapsed;

            faults.Clear();
            faults.DropWatchesEvery(null);
            int succeeded = 0, failed = 0, stuck = 0, duplicates = 0, orphans = 0, lost = 0, inconsistent = 0;
            var problems = new List<string>();
            foreach (var org in orgs)
            {
                var orgForks = await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org);
                succeeded += orgForks.Count(f => f.Status?.Phase == ForkPhase.Succeeded);
                failed += orgForks.Count(f => f.Status?.Phase == ForkPhase.Failed);
                stuck += orgForks.Count(f => !TestStack.IsFinished(f));
                problems.AddRange(orgForks.Where(f => f.Status?.Phase == ForkPhase.Failed).Select(f => $"{org}/{f.Metadata.Name} failed: {f.Status!.Error?.Reason} {f.Status.Error?.Message}"));
                problems.AddRange(orgForks.Where(f => !TestStack.IsFinished(f)).Select(f => $"{org}/{f.Metadata.Name} stuck in {f.Status?.Phase} (finalizers {string.Join(",", f.Metadata.Finalizers ?? [])})"));
                var audit = ForkAudit.Check(await _host.Inventory.OfAsync(org, TestStack.Ct), baselines[org], orgForks);
                duplicates += audit.Duplicates.Count;
                orphans += audit.Orphans.Count;
                lost += audit.Lost.Count;
                inconsistent += audit.Inconsistent.Count;
                if (!audit.Clean)
                {
                    problems.Add($"{org}: {audit}");
                }
            }

            Figures.Report(
                $"faults: {forkCount} forks across {orgCount} orgs under 10% errors + 50 ms latency + watch drops every 2 s: " +
                $"{succeeded} succeeded, {failed} failed, {stuck} stuck, duplicates {duplicates}, orphans {orphans}, lost {lost}, inconsistent {inconsistent}; " +
                $"all finished after {converged.TotalSeconds:0.0} s (finished {finished}); operator requests {counter.Requests}: " +
                $"{counter.Count(500)} × 500, {counter.Count(429)} × 429, {counter.Count(409)} × 409 (faults and real conflicts), {counter.TransportErrors} transport errors");
            Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Take(30)));
            Assert.Equal(forkCount, succeeded);
            Assert.True(counter.Count(500) > 0 && counter.Count(429) > 0, "faults were injected");
        }
        finally
        {
            faults.Clear();
            faults.DropWatchesEvery(null);
        }
    }

    /// <summary>Polls the forks of every org until all are finished or the deadline passes; answers how many finished.</summary>
    private async Task<int> UntilAllFinishedAsync(IReadOnlyList<string> orgs, int expected, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        var done = 0;
        while (DateTime.UtcNow < until)
        {
            done = 0;
            foreach (var org in orgs)
            {
                done += (await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org)).Count(TestStack.IsFinished);
            }

            if (done == expected)
            {
                return done;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), TestStack.Ct);
        }

        return done;
    }
}
