using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Vers.Api;
using Vers.Operator.Hosting;
using Vers.Kube.LeaderElection;
using Vers.Testing;

namespace Vers.Operator.Tests.Hosting;

/// <summary>Two operator replicas against one cluster: one reconciles, and the other takes over when it stops.</summary>
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private static readonly LeaderElectionOptions Lease = new("vers-system", "vers-operator-leader")
    {
        LeaseDuration = TimeSpan.FromSeconds(3),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(200),
    };

    private readonly ForkStartLog _starts = new();
    private TestStack _host = null!;
    private ILoggerFactory _loggers = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _loggers = LoggerFactory.Create(b => b.AddProvider(_starts));
        _host = await TestStack.StartAsync(new TestStackOptions { Loggers = _loggers, Configure = o => o with { RunOperator = false } }, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _loggers.Dispose();
    }

    [Fact]
    public async Task Only_the_leader_reconciles_and_a_stopped_leader_hands_over_within_the_lease_duration()
    {
        var first = Replica("replica-a");
        await first.StartAsync(Ct);
        await first.WaitForLeadershipAsync(Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var second = Replica("replica-b");
        await second.StartAsync(Ct);

        var before = await ForkAsync("fork-before-handover", "python-a");
        Assert.True(first.IsLeader);
        Assert.False(second.IsLeader);

        var stopped = Stopwatch.StartNew();
        await first.DisposeAsync();
        await second.WaitForLeadershipAsync(Ct).WaitAsync(Lease.LeaseDuration, Ct);
        var takeover = stopped.Elapsed;

        var after = await ForkAsync("fork-after-handover", "python-b");
        Assert.True(takeover < Lease.LeaseDuration, $"takeover took {takeover}");
        Assert.Equal(ForkPhase.Succeeded, before.Status!.Phase);
        Assert.Equal(ForkPhase.Succeeded, after.Status!.Phase);
        Assert.Equal(["replica-a"], StartedBy(before));
        Assert.Equal(["replica-b"], StartedBy(after));
        await second.DisposeAsync();
    }

    private VersOperator Replica(string identity) => _host.NewOperator(identity, _host.Client, leaderElection: Lease);

    private async Task<RepositoryFork> ForkAsync(string name, string repoName)
    {
        await _host.CreateForkAsync("dev", name, sourceRepo: "python", repoName: repoName);
        return await _host.UntilForkAsync("dev", name, f => f.Status?.Phase is ForkPhase.Succeeded or ForkPhase.Failed, TimeSpan.FromSeconds(20));
    }

    /// <summary>Which operator instances logged starting this fork (after its intent write): exactly one means it was processed once.</summary>
    private IReadOnlyList<string> StartedBy(RepositoryFork fork) => _starts.StartedBy(fork.Metadata.NamespaceProperty, fork.Metadata.Name);
}
