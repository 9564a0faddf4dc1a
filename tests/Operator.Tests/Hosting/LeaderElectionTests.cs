using System.Diagnostics;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Operator.Hosting;
using Vers.Kube;
using Vers.Kube.Client;
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
    private AllInOneHost _host = null!;
    private ILoggerFactory _loggers = null!;
    private KubeRestClient _rest = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _host = await AllInOneHost.StartAsync(
            new AllInOneOptions { Listen = "http://127.0.0.1:0", KubeListen = "http://127.0.0.1:0", Kubeconfig = null, RunOperator = false },
            Ct);
        _rest = new KubeRestClient(_host.Client);
        _loggers = LoggerFactory.Create(b => b.AddProvider(_starts));
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

    private VersOperator Replica(string identity) =>
        new(_host.Client, _loggers, new VersOperatorOptions { Identity = identity, LeaderElection = Lease });

    private async Task<RepositoryFork> ForkAsync(string name, string repoName)
    {
        await _rest.CreateAsync(RepositoryFork.Type, "dev", new RepositoryFork
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "dev" },
            Spec = new RepositoryForkSpec { SourceOrg = "vers", SourceRepo = "python", SourceTag = "latest", RepoName = repoName },
        }, Ct);
        return await _rest.UntilAsync<RepositoryFork>(
            RepositoryFork.Type, "dev", name, f => f.Status?.Phase is ForkPhase.Succeeded or ForkPhase.Failed, TimeSpan.FromSeconds(20), Ct);
    }

    /// <summary>Which operator instances logged starting this fork (after its intent write): exactly one means it was processed once.</summary>
    private IReadOnlyList<string> StartedBy(RepositoryFork fork) => _starts.StartedBy(fork.Metadata.NamespaceProperty, fork.Metadata.Name);
}
