using System.Diagnostics;
using Vers.LocalCluster.KubeVirt;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// A real cluster's bad day, reproduced with the simulator's fault and timing knobs (the all-in-one host's
/// <c>--sim-fault</c> and <c>--sim-latency</c>): an admission webhook refusing DataVolumes, a DataVolume or a
/// VirtualMachineSnapshot reaching its terminal failed state, storage without snapshot support, a VM that cannot be
/// scheduled for a while, and the source commit's VolumeSnapshot deleted mid-fork. A fork that cannot succeed answers
/// 500 with Vers' error body within a minute, its status says which object failed and what upstream said, and the
/// target namespace holds nothing new but the failed RepositoryFork; one that can wait, waits.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class SimulatedClusterTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly TestStack _host = shared.Host;

    [Theory]
    [InlineData("deny-create=datavolumes", ForkReasons.Rejected, "admission webhook \"deny-create.sim-fault.localcluster.vers.sh\" denied the request")]
    [InlineData("fail=datavolumes", ForkReasons.CloneFailed, "lost")]
    [InlineData("fail=virtualmachinesnapshots", ForkReasons.SnapshotFailed, "snapshot deadline exceeded")]
    public async Task A_fork_that_meets_a_fault_answers_500_within_a_minute_says_why_and_leaves_nothing(string fault, string reason, string upstreamWords)
    {
        var org = await _host.NewOrgAsync($"fault-{fault.Replace('=', '-')}");
        var baseline = (await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct)).Names;
        var options = _host.Simulator;

        ApiAnswer answer;
        var clock = Stopwatch.StartNew();
        options.Apply(fault);
        try
        {
            answer = await _host.ForkAsync(org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"faulty"}""");
        }
        finally
        {
            Reset(options);
        }

        Assert.True(answer.Status == 500, $"{answer.Status}: {answer.Text}");
        Assert.True(clock.Elapsed < Minute, $"answered after {clock.Elapsed}");
        Assert.False((bool)answer.Object["success"]!);
        var fork = Assert.Single(await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace));
        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(reason, fork.Status.Error!.Reason);
        Assert.Contains(upstreamWords, fork.Status.Error.Message, StringComparison.Ordinal);
        // It names the object: the VM's disk (named after the VM) or the commit's snapshot (named after the commit).
        Assert.Matches($"{org.Namespace}/({fork.Status.VmId}|{fork.Status.CommitId})", fork.Status.Error.Message);
        await AssertNothingNewAsync(org.Namespace, baseline, fork);
        Figures.Report($"simulated fault {fault}: 500 after {clock.Elapsed.TotalMilliseconds:0} ms: \"{(string?)answer.Object["error"]}\"");
    }

    /// <summary>
    /// KubeVirt leaves out of a VirtualMachineSnapshot every volume it cannot snapshot and still calls it Succeeded
    /// (snapshot.go getSnapshotPVC, with the PartialSnapshot indication): such a snapshot must never become a commit.
    /// </summary>
    [Fact]
    public async Task A_snapshot_that_left_out_the_disks_gives_no_201_and_no_Commit()
    {
        var org = await _host.NewOrgAsync("fault-exclude-volumes");
        var baseline = (await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct)).Names;
        _host.Simulator.Apply("exclude-volumes");
        ApiAnswer answer;
        try
        {
            answer = await _host.ForkAsync(org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"partial"}""");
        }
        finally
        {
            Reset(_host.Simulator);
        }

        Assert.True(answer.Status == 500, $"{answer.Status}: {answer.Text}");
        var fork = Assert.Single(await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace));
        Assert.Equal(ForkReasons.SnapshotIncomplete, fork.Status!.Error!.Reason);
        Assert.Contains("rootdisk", fork.Status.Error.Message, StringComparison.Ordinal);
        Assert.Empty(await _host.ListAsync<Commit>(Commit.Type, org.Namespace));
        await AssertNothingNewAsync(org.Namespace, baseline, fork);
    }

    /// <summary>ErrorUnschedulable is transient: the scheduler retries, and so the fork waits (vm.go setPrintableStatus).</summary>
    [Fact]
    public async Task A_VM_that_is_unschedulable_for_a_while_is_waited_for_and_the_fork_succeeds()
    {
        var org = await _host.NewOrgAsync("fault-unschedulable");
        _host.Simulator.Apply("unschedulable=5s");
        var clock = Stopwatch.StartNew();
        ApiAnswer answer;
        try
        {
            answer = await _host.ForkAsync(org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"patient"}""");
        }
        finally
        {
            Reset(_host.Simulator);
        }

        Assert.True(answer.Status == 201, $"{answer.Status}: {answer.Text}");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(5), $"the fork did not wait for the VM to be scheduled ({clock.Elapsed})");
        Assert.Equal("patient:latest", (string?)answer.Object["reference"]);
    }

    /// <summary>
    /// With every progress step taking 2 s, the source commit's VolumeSnapshot is deleted while CDI restores from it. CDI
    /// would wait for ever (CloneWithoutSource) and KubeVirt marks the source snapshot not ready ("VolumeSnapshots (…)
    /// missing"); the fork fails at once with SourceLost and removes what it made.
    /// </summary>
    [Fact]
    public async Task Deleting_the_source_VolumeSnapshot_mid_fork_fails_the_fork_within_a_minute_and_leaves_nothing()
    {
        var source = await _host.EnsureOrgAsync("lost-source");
        await _host.PublishAsync(source, "fragile");
        var org = await _host.NewOrgAsync("lost-target");
        var baseline = (await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct)).Names;
        var sourceSnapshots = await _host.ListAsync<GenericObject>(KubeVirtTypes.VolumeSnapshot, source);
        var volumeSnapshot = Assert.Single(sourceSnapshots);

        _host.Simulator.Latency = TimeSpan.FromSeconds(2);
        var clock = Stopwatch.StartNew();
        try
        {
            var forking = _host.ForkAsync(org.Key, $$"""{"source_org":"{{source}}","source_repo":"fragile","source_tag":"latest"}""");
            await Eventually.ReachAsync(
                async () => (await _host.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, org.Namespace)).Count > 0, TimeSpan.FromSeconds(30));
            await _host.Rest.DeleteAsync(KubeVirtTypes.VolumeSnapshot, source, volumeSnapshot.Metadata.Name, TestStack.Ct);
            var answer = await forking;

            Assert.True(answer.Status == 500, $"{answer.Status}: {answer.Text}");
            Assert.True(clock.Elapsed < Minute, $"answered after {clock.Elapsed}");
        }
        finally
        {
            _host.Simulator.Latency = TimeSpan.Zero;
        }

        var fork = Assert.Single(await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace));
        Assert.Equal(ForkReasons.SourceLost, fork.Status!.Error!.Reason);
        await AssertNothingNewAsync(org.Namespace, baseline, fork);
        Figures.Report($"source VolumeSnapshot deleted mid-fork: 500 after {clock.Elapsed.TotalMilliseconds:0} ms: \"{fork.Status.Error.Message}\"");
    }

    /// <summary>The namespace holds what it held before plus the failed fork, once the rollback's deletions are through.</summary>
    private async Task AssertNothingNewAsync(string ns, HashSet<(string Kind, string Name)> baseline, RepositoryFork fork)
    {
        ForkAudit.Result audit = null!;
        try
        {
            await Eventually.ReachAsync(
                async () => (audit = ForkAudit.Check(await _host.Inventory.OfAsync(ns, TestStack.Ct), baseline, [fork])).Clean, TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the target namespace holds what the failed fork made: {audit}");
        }
    }

    private static void Reset(SimulatorOptions options)
    {
        options.DenyCreate("datavolumes", false);
        options.FailAll("DataVolume", false);
        options.FailAll("VirtualMachineSnapshot", false);
        options.ExcludeVolumes = false;
        options.Unschedulable = TimeSpan.Zero;
    }
}
