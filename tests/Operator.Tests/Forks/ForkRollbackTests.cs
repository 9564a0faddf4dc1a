using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

/// <summary>Failures after the target is claimed: everything the fork created goes, so the name is free again.</summary>
public sealed class ForkRollbackTests
{
    [Theory]
    [InlineData("VirtualMachineClone", "vers", "node-copy")]
    [InlineData("DataVolume", "dev", "node")]
    public async Task A_failed_VM_copy_fails_the_fork_with_CloneFailed_and_rolls_back_so_a_retry_succeeds(string failingKind, string ns, string repoName)
    {
        await using var host = await ForkHost.StartAsync();
        host.Simulator.FailAll(failingKind);
        await host.CreateForkAsync(ns, "first", repoName: repoName);

        var failed = await host.FinishedAsync(ns, "first");

        Assert.Equal(ForkPhase.Failed, failed.Status!.Phase);
        Assert.Equal(ForkReasons.CloneFailed, failed.Status.Error!.Reason);
        await host.AssertRolledBackAsync(failed, repoName);

        host.Simulator.FailAll(failingKind, false);
        await host.CreateForkAsync(ns, "retry", repoName: repoName);
        var retried = await host.FinishedAsync(ns, "retry");
        Assert.True(retried.Status!.Phase == ForkPhase.Succeeded, $"{retried.Status.Phase}: {retried.Status.Error?.Reason} {retried.Status.Error?.Message}");
        Assert.NotEqual(failed.Status.VmId, retried.Status.VmId);
    }

    [Fact]
    public async Task A_clone_that_outlives_CloneTimeout_fails_the_fork_with_Timeout_and_rolls_back()
    {
        await using var host = await ForkHost.StartAsync(new ForkOptions { CloneTimeout = TimeSpan.FromSeconds(2) });
        host.Simulator.SetDelay("VirtualMachineClone", TimeSpan.FromMinutes(5));
        await host.CreateForkAsync("vers", "slow", repoName: "node-slow");

        var fork = await host.FinishedAsync("vers", "slow");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.Timeout, fork.Status.Error!.Reason);
        Assert.Equal(ForkReasons.Timeout, fork.Status.Conditions!.Single(c => c.Type == "Ready").Reason);
        await host.AssertRolledBackAsync(fork, "node-slow");
    }

    [Fact]
    public async Task Deleting_a_fork_mid_flight_rolls_back_what_it_created()
    {
        await using var host = await ForkHost.StartAsync();
        host.Simulator.SetDelay("DataVolume", TimeSpan.FromMinutes(5));
        var created = await host.CreateForkAsync("dev", "doomed");
        var running = await host.UntilForkAsync("dev", "doomed", f => f.Status?.VmId is not null);
        await host.Rest.UntilAsync<GenericObject>(KubeVirtTypes.VirtualMachine, "dev", running.Status!.VmId!, _ => true, TimeSpan.FromSeconds(20), TestStack.Ct);
        Assert.NotEmpty(await host.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, "dev", $"{VersGroup.ForkUidLabel}={created.Metadata.Uid}"));

        await host.Rest.DeleteAsync(RepositoryFork.Type, "dev", "doomed", TestStack.Ct);

        await host.UntilGoneAsync(RepositoryFork.Type, "dev", "doomed");
        await host.AssertRolledBackAsync(running, "node");
    }

    [Fact]
    public async Task Deleting_the_repository_mid_fork_fails_the_fork_with_Deleted_and_does_not_bring_it_back()
    {
        await using var host = await ForkHost.StartAsync();
        host.Simulator.SetDelay("DataVolume", TimeSpan.FromMinutes(5));
        await host.CreateForkAsync("dev", "undone", repoName: "node-undone");
        var running = await host.UntilForkAsync("dev", "undone", f => f.Status?.VmId is not null);

        await host.Rest.DeleteAsync(Repository.Type, "dev", VersNames.ToObjectName("node-undone"), TestStack.Ct);

        var failed = await host.FinishedAsync("dev", "undone");
        Assert.Equal(ForkPhase.Failed, failed.Status!.Phase);
        Assert.Equal(ForkReasons.Deleted, failed.Status.Error!.Reason);
        Assert.Contains("node-undone was deleted", failed.Status.Error.Message);
        await host.AssertRolledBackAsync(running, "node-undone");
        Assert.Null(await host.TryGetAsync(Repository.Type, "dev", VersNames.ToObjectName("node-undone")));
    }
}
