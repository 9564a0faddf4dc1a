using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

/// <summary>Results outlive the RepositoryFork: deleting a finished fork, by hand or by TTL, deletes nothing else.</summary>
public sealed class ForkLifecycleTests(SharedForkHost shared) : IClassFixture<SharedForkHost>
{
    private TestStack Host => shared.Host;

    private async Task AssertResultsExistAsync(RepositoryFork created, string ns, string repoName)
    {
        var selector = $"{VersGroup.ForkUidLabel}={created.Metadata.Uid}";
        var repository = Assert.Single(await Host.ListAsync<Repository>(Repository.Type, ns, selector));
        Assert.Equal(repoName, repository.Spec.Name);
        var tag = Assert.Single(await Host.ListAsync<Tag>(Tag.Type, ns, selector));
        var commit = Assert.Single(await Host.ListAsync<Commit>(Commit.Type, ns, selector));
        Assert.Equal(commit.Metadata.Name, tag.Spec.CommitId);
        Assert.Single(await Host.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns, selector));
        Assert.NotNull(await Host.TryGetAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, commit.Metadata.Name));
    }

    [Fact]
    public async Task Deleting_a_finished_fork_deletes_nothing_else()
    {
        var created = await Host.CreateForkAsync("dev", "done", repoName: "node-done");
        var fork = await Host.FinishedAsync("dev", "done");
        Assert.Equal(ForkPhase.Succeeded, fork.Status!.Phase);

        await Host.Rest.DeleteAsync(RepositoryFork.Type, "dev", "done", TestStack.Ct);
        await Host.UntilGoneAsync(RepositoryFork.Type, "dev", "done");

        await AssertResultsExistAsync(created, "dev", "node-done");
    }

    [Fact]
    public async Task TtlSecondsAfterFinished_deletes_the_finished_fork_but_not_its_results()
    {
        var created = await Host.CreateForkAsync("dev", "ephemeral", repoName: "node-ttl", ttl: 1);

        await Host.UntilGoneAsync(RepositoryFork.Type, "dev", "ephemeral");

        await AssertResultsExistAsync(created, "dev", "node-ttl");
    }

    [Fact]
    public async Task A_failed_fork_with_a_ttl_is_deleted_too()
    {
        await Host.CreateForkAsync("dev", "failed-ttl", repoName: "ttl-missing-source", ttl: 1, sourceRepo: "no-such-repository");

        await Host.UntilGoneAsync(RepositoryFork.Type, "dev", "failed-ttl");
    }

    [Fact]
    public async Task TtlSecondsAfterFailure_expires_a_failed_fork_sooner_than_ttlSecondsAfterFinished()
    {
        await Host.CreateForkAsync("dev", "failed-soon", repoName: "failed-soon", ttl: 3600, sourceRepo: "no-such-repository", failedTtl: 1);

        await Host.UntilGoneAsync(RepositoryFork.Type, "dev", "failed-soon");
    }

    [Fact]
    public async Task TtlSecondsAfterFailure_does_not_apply_to_a_fork_that_succeeded()
    {
        await Host.CreateForkAsync("dev", "kept", repoName: "node-kept", failedTtl: 0);

        var fork = await Host.FinishedAsync("dev", "kept");
        Assert.Equal(ForkPhase.Succeeded, fork.Status!.Phase);
        await Task.Delay(TimeSpan.FromSeconds(1), TestStack.Ct);
        Assert.NotNull(await Host.TryGetAsync(RepositoryFork.Type, "dev", "kept"));
    }
}
