using System.Diagnostics;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>A host whose forks time out after 4 s (clone, start, snapshot), for the failure-path tests.</summary>
public sealed class ShortTimeoutHost : SharedStack
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    protected override Task<TestStack> StartAsync() =>
        ReliabilityHost.StartAsync(o => o with { Forks = new ForkOptions { CloneTimeout = Timeout, StartTimeout = Timeout, SnapshotTimeout = Timeout } });
}

/// <summary>
/// Failure paths through the fork API: the clone, a DataVolume or the snapshot fails, or one of them outlives its
/// timeout. The client gets 500 with the error body, everything the fork created is removed (the namespace holds
/// exactly what it held before, plus the failed RepositoryFork), the target name is free again, and the same request
/// then succeeds. One case also fails half of the rollback's deletes.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FailurePathTests(ShortTimeoutHost shared) : IClassFixture<ShortTimeoutHost>
{
    private readonly TestStack _host = shared.Host;

    [Theory]
    [InlineData("clone-fails", "same-org", "VirtualMachineClone", false, ForkReasons.CloneFailed)]
    [InlineData("datavolume-fails", "cross-org", "DataVolume", false, ForkReasons.CloneFailed)]
    [InlineData("snapshot-fails", "cross-org", "VirtualMachineSnapshot", false, ForkReasons.SnapshotFailed)]
    [InlineData("snapshot-fails-same-org", "same-org", "VirtualMachineSnapshot", false, ForkReasons.SnapshotFailed)]
    [InlineData("clone-times-out", "same-org", "VirtualMachineClone", true, ForkReasons.Timeout)]
    [InlineData("datavolume-times-out", "cross-org", "DataVolume", true, ForkReasons.Timeout)]
    [InlineData("snapshot-times-out", "cross-org", "VirtualMachineSnapshot", true, ForkReasons.Timeout + "|" + ForkReasons.SnapshotFailed)]
    [InlineData("rollback-under-faults", "same-org", "VirtualMachineClone", false, ForkReasons.CloneFailed)]
    public async Task A_failed_fork_answers_500_rolls_back_completely_frees_the_name_and_a_retry_succeeds(
        string name, string kind, string failingKind, bool slow, string reasons)
    {
        var org = await _host.NewOrgAsync($"fail-{name}");
        var sourceOrg = TestStack.SourceOrg;
        if (kind == "same-org")
        {
            await _host.PublishAsync(org.Name, "node", Api.Visibility.Private);
            sourceOrg = org.Name;
        }

        var baseline = (await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct)).Names;
        var body = $$"""{"source_org":"{{sourceOrg}}","source_repo":"node","source_tag":"latest","repo_name":"target","tag_name":"v1"}""";
        FaultRule? faults = null;
        if (slow)
        {
            _host.Simulator.SetDelay(failingKind, ShortTimeoutHost.Timeout * 3);
        }
        else
        {
            _host.Simulator.FailNext(failingKind, org.Namespace);
        }

        if (name == "rollback-under-faults")
        {
            // As in the fault-injection test: 10% of the operator's requests fail, rollback deletes included.
            _host.KubeApi.Faults.Reseed(3);
            faults = _host.KubeApi.Faults.Add(new FaultRule { Client = UserAgents.Operator, ErrorRate = 0.1 });
        }

        try
        {
            await FailRollBackAndRetryAsync(name, org, body, baseline, reasons, failingKind);
        }
        finally
        {
            _host.Simulator.SetDelay(failingKind, TimeSpan.Zero);
            if (faults is not null)
            {
                _host.KubeApi.Faults.Remove(faults);
            }
        }
    }

    private async Task FailRollBackAndRetryAsync(string name, TestOrg org, string body, HashSet<(string Kind, string Name)> baseline, string reasons, string failingKind)
    {
        var failed = await _host.ForkAsync(org.Key, body);
        _host.Simulator.SetDelay(failingKind, TimeSpan.Zero);

        // 500 with the error body and the reason.
        Assert.True(failed.Status == 500, $"{failed.Status}: {failed.Text}");
        Assert.False((bool)failed.Object["success"]!);
        var error = (string)failed.Object["error"]!;
        Assert.Contains(reasons.Split('|'), r => error.Contains($"({r})", StringComparison.Ordinal));

        // Rolled back: the namespace holds what it held before, plus the failed RepositoryFork.
        var failedFork = Assert.Single(await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace));
        Assert.Equal(ForkPhase.Failed, failedFork.Status!.Phase);
        var clock = Stopwatch.StartNew();
        ForkAudit.Result audit = null!;
        await Eventually.ReachAsync(
            async () => (audit = ForkAudit.Check(await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct), baseline, [failedFork])).Clean,
            TimeSpan.FromSeconds(15)).ContinueWith(t => Assert.True(t.IsCompletedSuccessfully, $"not rolled back: {audit}"), TaskScheduler.Default);
        var rolledBackAfter = clock.Elapsed;

        // The name is free: not listed, no Repository object.
        var repositories = await _host.GetAsync("api/v1/repositories", org.Key);
        Assert.DoesNotContain(repositories.Object["repositories"]!.AsArray(), r => (string?)r!["name"] == "target");
        Assert.Null(await _host.Rest.TryGetAsync<Repository>(Repository.Type, org.Namespace, "target", TestStack.Ct));

        // The same request now succeeds, into the freed name.
        var retry = await _host.ForkAsync(org.Key, body);
        Assert.True(retry.Status == 201, $"{retry.Status}: {retry.Text}");
        Assert.Equal("target:v1", (string?)retry.Object["reference"]);
        var forks = await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace);
        var final = ForkAudit.Check(await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct), baseline, forks);
        Assert.True(final.Clean, final.ToString());
        Figures.Report($"failure path {name}: 500 \"{error}\"; rolled back (namespace as before) {rolledBackAfter.TotalMilliseconds:0} ms after the answer; retry 201 {(string?)retry.Object["reference"]}");
    }
}
