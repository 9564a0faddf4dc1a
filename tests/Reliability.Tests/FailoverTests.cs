using System.Diagnostics;
using k8s.Models;
using Vers.Api;
using Vers.Operator.Hosting;
using Vers.Kube;
using Vers.Kube.LeaderElection;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// Two operator instances with leader election; the leader stops while 100 forks are in flight (half across orgs,
/// half within one). Every fork completes, none is worked twice (started by one instance at most, by the operators'
/// ForkStarted log records; one VM; no duplicates or orphans), and the other instance takes over: within the lease
/// duration when the leader stops
/// (it releases the lease); within the lease duration after the leader's last renewal when it is killed (no release
/// — the lease has to run out). VERS_RELIABILITY_FAILOVER_FORKS sets the number of forks (default 100).
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FailoverTests : IAsyncLifetime
{
    private static readonly LeaderElectionOptions Lease = new(TestStack.ReleaseNamespace, "vers-operator-leader")
    {
        LeaseDuration = TimeSpan.FromSeconds(4),
        RenewDeadline = TimeSpan.FromSeconds(3),
        RetryPeriod = TimeSpan.FromMilliseconds(250),
    };

    private TestStack _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await ReliabilityHost.StartAsync(o => o with { RunOperator = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("stopped")]
    [InlineData("killed")]
    public async Task When_the_leader_goes_in_the_middle_of_100_forks_the_other_instance_takes_over_and_every_fork_completes_once(string how)
    {
        var count = Figures.FromEnvironment("VERS_RELIABILITY_FAILOVER_FORKS", 100);
        string crossOrg = $"failover-{how}-x", sameOrg = $"failover-{how}-s";
        await _host.EnsureOrgAsync(crossOrg);
        await _host.EnsureOrgAsync(sameOrg);
        await _host.PublishAsync(sameOrg, "base");
        var baselines = new Dictionary<string, HashSet<(string Kind, string Name)>>
        {
            [crossOrg] = (await _host.Inventory.OfAsync(crossOrg, TestStack.Ct)).Names,
            [sameOrg] = (await _host.Inventory.OfAsync(sameOrg, TestStack.Ct)).Names,
        };
        // Slow enough that forks are caught at every step when the leader goes.
        foreach (var kind in new[] { "DataVolume", "VirtualMachineClone", "VirtualMachineSnapshot", "VirtualMachine" })
        {
            _host.Simulator.SetDelay(kind, TimeSpan.FromMilliseconds(150));
        }

        var killA = new KillSwitch();
        var a = _host.NewOperator($"replica-a-{how}", _host.OperatorClient(killA), leaderElection: Lease);
        await a.StartAsync(TestStack.Ct);
        await a.WaitForLeadershipAsync(TestStack.Ct).WaitAsync(TimeSpan.FromSeconds(15), TestStack.Ct);
        await using var b = _host.NewOperator($"replica-b-{how}", leaderElection: Lease);
        await b.StartAsync(TestStack.Ct);
        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);

        // Forks arrive over time; the leader goes once about a quarter have finished, while more still arrive.
        var forks = Enumerable.Range(0, count)
            .Select(i => i % 2 == 0 ? (Org: crossOrg, Name: $"fork-{i}", Source: TestStack.SourceOrg, Repo: "node") : (Org: sameOrg, Name: $"fork-{i}", Source: sameOrg, Repo: "base"))
            .ToList();
        var creating = Task.Run(async () =>
        {
            foreach (var f in forks)
            {
                await _host.CreateForkAsync(f.Org, f.Name, f.Source, f.Repo, repoName: $"r-{f.Name}");
                await Task.Delay(TimeSpan.FromMilliseconds(50), TestStack.Ct);
            }
        }, TestContext.Current.CancellationToken);
        await Eventually.ReachAsync(async () => await FinishedCountAsync(crossOrg, sameOrg) >= count / 4, TimeSpan.FromSeconds(60));

        var lastRenew = (await _host.Rest.GetAsync<V1Lease>(ResourceType.Lease, Lease.Namespace, Lease.LeaseName, TestStack.Ct)).Spec.RenewTime;
        var inFlightAtLoss = count - await FinishedCountAsync(crossOrg, sameOrg);
        var clock = Stopwatch.StartNew();
        Task stopping;
        if (how == "killed")
        {
            killA.Kill();
            stopping = a.DisposeAsync().AsTask();
        }
        else
        {
            stopping = a.DisposeAsync().AsTask();
        }

        await b.WaitForLeadershipAsync(TestStack.Ct).WaitAsync(Lease.LeaseDuration * 3, TestStack.Ct);
        var takeover = clock.Elapsed;
        await stopping;
        var stopped = clock.Elapsed;
        await creating;
        foreach (var f in forks)
        {
            await _host.FinishedAsync(f.Org, f.Name, TimeSpan.FromSeconds(60));
        }

        var allDone = clock.Elapsed;

        foreach (var kind in new[] { "DataVolume", "VirtualMachineClone", "VirtualMachineSnapshot", "VirtualMachine" })
        {
            _host.Simulator.SetDelay(kind, TimeSpan.Zero);
        }

        // Every fork once: succeeded, started by one instance at most, and the namespace holds exactly the forks' objects.
        var problems = new List<string>();
        var startedBy = new Dictionary<string, int>();
        int duplicates = 0, orphans = 0, succeeded = 0, startedTwice = 0;
        foreach (var org in new[] { crossOrg, sameOrg })
        {
            var orgForks = await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org);
            succeeded += orgForks.Count(f => f.Status?.Phase == ForkPhase.Succeeded);
            problems.AddRange(orgForks.Where(f => f.Status?.Phase != ForkPhase.Succeeded).Select(f => $"{org}/{f.Metadata.Name}: {f.Status?.Phase} {f.Status?.Error?.Reason} {f.Status?.Error?.Message}"));
            foreach (var fork in orgForks)
            {
                var started = SuiteLogs.ForkStarts.StartedBy(org, fork.Metadata.Name);
                foreach (var instance in started)
                {
                    startedBy[instance] = startedBy.GetValueOrDefault(instance) + 1;
                }

                if (started.Count > 1)
                {
                    startedTwice++;
                    problems.Add($"{org}/{fork.Metadata.Name} started by {string.Join(" and ", started)}");
                }
            }

            var audit = ForkAudit.Check(await _host.Inventory.OfAsync(org, TestStack.Ct), baselines[org], orgForks);
            duplicates += audit.Duplicates.Count;
            orphans += audit.Orphans.Count;
            if (!audit.Clean)
            {
                problems.Add($"{org}: {audit}");
            }
        }

        var sinceRenew = lastRenew is { } renewed ? DateTime.UtcNow - DateTime.SpecifyKind(renewed, DateTimeKind.Utc) - (clock.Elapsed - takeover) : (TimeSpan?)null;
        Figures.Report(
            $"failover ({how}): leader went with {inFlightAtLoss} of {count} forks unfinished; takeover {takeover.TotalMilliseconds:0} ms after it went " +
            $"({(sinceRenew is { } s ? $"{s.TotalMilliseconds:0} ms after its last lease renewal" : "no renewal seen")}; lease {Lease.LeaseDuration.TotalSeconds:0} s, retry {Lease.RetryPeriod.TotalMilliseconds:0} ms); " +
            $"old leader shut down after {stopped.TotalMilliseconds:0} ms; all forks done {allDone.TotalSeconds:0.0} s after it went; {succeeded} succeeded; started by instance: {string.Join(", ", startedBy.Select(kv => $"{kv.Key} {kv.Value}"))}; started twice {startedTwice}, duplicates {duplicates}, orphans {orphans}");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Take(30)));
        Assert.Equal(count, succeeded);
        if (how == "stopped")
        {
            Assert.True(takeover < Lease.LeaseDuration, $"takeover took {takeover}");
        }
        else
        {
            // No release: the lease runs out LeaseDuration after the last renewal the follower saw, and the follower
            // notices on its next retry.
            Assert.True(takeover <= Lease.LeaseDuration + (2 * Lease.RetryPeriod) + TimeSpan.FromSeconds(1), $"takeover took {takeover}");
        }
    }

    private async Task<int> FinishedCountAsync(params string[] orgs)
    {
        var done = 0;
        foreach (var org in orgs)
        {
            done += (await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org)).Count(TestStack.IsFinished);
        }

        return done;
    }
}
