using k8s.Models;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

public sealed class ForkCrashResumeTests
{
    [Theory]
    [InlineData("DataVolume", "dev", "node")]
    [InlineData("VirtualMachineClone", "vers", "node-copy")]
    public async Task A_fresh_operator_finishes_a_fork_the_old_one_left_mid_flight_without_creating_anything_twice(string slowKind, string ns, string repoName)
    {
        await using var host = await ForkHost.StartAsync();
        var before = await CountsAsync(host, ns);
        host.Simulator.SetDelay(slowKind, TimeSpan.FromSeconds(2));
        var created = await host.CreateForkAsync(ns, "crash", repoName: repoName);
        var running = await host.UntilForkAsync(ns, "crash", f => f.Status?.VmId is not null);
        var slowType = slowKind == "DataVolume" ? KubeVirtTypes.DataVolume : KubeVirtTypes.VirtualMachineClone;
        await host.Rest.UntilAsync<GenericObject>(
            KubeVirtTypes.VirtualMachineClone == slowType ? slowType : KubeVirtTypes.VirtualMachine,
            ns, running.Status!.VmId!, _ => true, TimeSpan.FromSeconds(20), TestStack.Ct);

        // The operator dies mid-flight; a new one starts on the same cluster.
        await (host.Host.Operator ?? throw new InvalidOperationException("the host runs no operator")).DisposeAsync();
        var midFlight = await host.Rest.GetAsync<RepositoryFork>(RepositoryFork.Type, ns, "crash", TestStack.Ct);
        Assert.Equal(ForkPhase.Running, midFlight.Status!.Phase);
        await using var second = host.NewOperator("second", host.Client);
        await second.StartAsync(TestStack.Ct);

        var fork = await host.FinishedAsync(ns, "crash", TimeSpan.FromSeconds(30));

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        Assert.Equal(running.Status.VmId, fork.Status.VmId);
        Assert.Equal(running.Status.CommitId, fork.Status.CommitId);
        var after = await CountsAsync(host, ns);
        Assert.Equal(before with { Vms = before.Vms + 1, Snapshots = before.Snapshots + 1, Commits = before.Commits + 1, Tags = before.Tags + 1, Repositories = before.Repositories + 1 }, after);
        Assert.Single(await host.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns, $"{VersGroup.ForkUidLabel}={created.Metadata.Uid}"));
    }

    [Fact]
    public async Task A_Tag_left_without_its_reference_is_adopted_and_given_it()
    {
        await using var host = await ForkHost.StartAsync();
        host.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.FromSeconds(2));
        var created = await host.CreateForkAsync("dev", "tagless", repoName: "tagless");
        var running = await host.UntilForkAsync("dev", "tagless", f => f.Status?.CommitId is not null);
        await (host.Host.Operator ?? throw new InvalidOperationException("the host runs no operator")).DisposeAsync();

        // As an operator that wrote the reference in a second request would leave it, dying between the two (or kubectl).
        await host.Rest.CreateAsync(Tag.Type, "dev", new Tag
        {
            Metadata = new V1ObjectMeta
            {
                Name = VersNames.TagObjectName("tagless", "latest"),
                NamespaceProperty = "dev",
                Labels = new Dictionary<string, string> { [VersGroup.ForkUidLabel] = created.Metadata.Uid, [VersGroup.ManagedByLabel] = VersGroup.ManagedBy },
            },
            Spec = new TagSpec { Repository = "tagless", Tag = "latest", CommitId = running.Status!.CommitId! },
        }, TestStack.Ct);
        await using var second = host.NewOperator("second", host.Client);
        await second.StartAsync(TestStack.Ct);

        var fork = await host.FinishedAsync("dev", "tagless", TimeSpan.FromSeconds(30));

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        var tag = await host.Rest.GetAsync<Tag>(Tag.Type, "dev", VersNames.TagObjectName("tagless", "latest"), TestStack.Ct);
        Assert.Equal("tagless:latest", tag.Status?.Reference);
    }

    /// <summary>The deadline runs from status.startTime: a new operator does not give a stuck fork a fresh budget.</summary>
    [Fact]
    public async Task A_restart_does_not_extend_a_forks_deadline()
    {
        var budget = TimeSpan.FromSeconds(3);
        await using var host = await ForkHost.StartAsync(new ForkOptions { CloneTimeout = budget });
        host.Simulator.SetDelay("DataVolume", TimeSpan.FromMinutes(5));
        await host.CreateForkAsync("dev", "stuck", repoName: "stuck");
        await host.UntilForkAsync("dev", "stuck", f => f.Status?.VmId is not null);
        await (host.Host.Operator ?? throw new InvalidOperationException("the host runs no operator")).DisposeAsync();
        await Task.Delay(TimeSpan.FromSeconds(2), TestStack.Ct);

        await using var second = host.NewOperator("second", host.Client, new ForkOptions { CloneTimeout = budget });
        await second.StartAsync(TestStack.Ct);
        var fork = await host.FinishedAsync("dev", "stuck", TimeSpan.FromSeconds(30));

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.Timeout, fork.Status.Error!.Reason);
        var lasted = fork.Status.CompletionTime!.Value - fork.Status.StartTime!.Value;
        Assert.True(lasted < budget + TimeSpan.FromSeconds(2), $"the fork lasted {lasted} with a budget of {budget} from its start");
    }

    private sealed record Counts(int Vms, int Snapshots, int Commits, int Tags, int Repositories);

    private static async Task<Counts> CountsAsync(TestStack host, string ns) => new(
        (await host.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns)).Count,
        (await host.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachineSnapshot, ns)).Count,
        (await host.ListAsync<Commit>(Commit.Type, ns)).Count,
        (await host.ListAsync<Tag>(Tag.Type, ns)).Count,
        (await host.ListAsync<Repository>(Repository.Type, ns)).Count);
}
