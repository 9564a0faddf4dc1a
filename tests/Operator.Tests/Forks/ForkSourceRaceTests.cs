using System.Diagnostics;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

/// <summary>
/// Each informer has a watch of its own, and nothing orders events across them: the RepositoryFork informer can
/// deliver a fork before the namespace, Repository, Tag, Commit or VirtualMachineSnapshot informer delivers the source
/// (or organisation) created just before it. Under CPU load that made a fork of a freshly published tag fail for good
/// with SourceNotFound at its first reconcile. Here the operator's watches of those kinds are held back
/// (<see cref="HeldWatches"/>): its caches are synced but never see the source, as deterministically as a lag can be.
/// </summary>
public sealed class ForkSourceRaceTests
{
    private const string LateOrg = "late";
    private static readonly string[] SourceKinds = ["namespaces", "repositories", "tags", "commits", "virtualmachinesnapshots"];

    /// <summary>
    /// A fork whose source the caches have not seen yet resolves it from the API server instead of failing; once the
    /// watches catch up it finishes like any other. vers → dev: a tag published in an existing org (the failure seen in
    /// CI), forked across organisations (DataVolumes, the source snapshot's content read). late → dev: the source's org
    /// is new too. late → late: so is the fork's own, forked within it (a VirtualMachineClone).
    /// </summary>
    [Theory]
    [InlineData(ForkHost.SourceOrg, "dev")]
    [InlineData(LateOrg, "dev")]
    [InlineData(LateOrg, LateOrg)]
    public async Task A_fork_of_a_source_made_just_before_it_is_not_failed_while_the_caches_lag(string sourceOrg, string forkNs)
    {
        await using var host = await ForkHost.StartAsync(runOperator: false);
        var held = new HeldWatches(SourceKinds);
        await using var lagging = host.NewOperator("lagging", host.OperatorClient(held));
        await lagging.StartAsync(TestStack.Ct);

        await host.EnsureOrgAsync(LateOrg);
        await host.PublishAsync(sourceOrg, "fresh");
        await host.CreateForkAsync(forkNs, "race", sourceOrg, "fresh", repoName: "fresh-fork");

        var started = await host.UntilForkAsync(forkNs, "race", f => f.Status?.Resolved is not null || f.Status?.Phase == ForkPhase.Failed);

        Assert.True(started.Status!.Phase != ForkPhase.Failed, $"{started.Status.Error?.Reason}: {started.Status.Error?.Message}");
        Assert.Equal(sourceOrg, started.Status.Resolved!.Namespace);
        // The race was on: the operator's caches still had not seen the source when it resolved it.
        Assert.Null(lagging.Caches.Repositories.Get(sourceOrg, "fresh"));
        Assert.Null(lagging.Caches.Tags.Get(sourceOrg, VersNames.TagObjectName("fresh", "latest")));
        Assert.Null(lagging.Namespaces.Get(null, LateOrg));

        held.Release();
        var fork = await host.FinishedAsync(forkNs, "race", TimeSpan.FromSeconds(60));

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        Assert.Equal("fresh-fork:latest", fork.Status.Reference);
    }

    /// <summary>
    /// The API server is asked only to confirm a miss, and its answer goes through the same rules: another org's private
    /// repository still fails exactly like a missing one (reason and message), both at once, and the owning org can fork it.
    /// </summary>
    [Fact]
    public async Task While_the_caches_lag_a_private_repository_of_another_org_fails_promptly_exactly_like_a_missing_one()
    {
        await using var host = await ForkHost.StartAsync(runOperator: false);
        var held = new HeldWatches(SourceKinds);
        await using var lagging = host.NewOperator("lagging", host.OperatorClient(held));
        await lagging.StartAsync(TestStack.Ct);
        await host.EnsureOrgAsync(LateOrg);
        await host.PublishAsync(LateOrg, "secret", Visibility.Private);

        var clock = Stopwatch.StartNew();
        await host.CreateForkAsync("dev", "private", LateOrg, "secret");
        await host.CreateForkAsync("dev", "missing", LateOrg, "nope");
        var forPrivate = await host.FinishedAsync("dev", "private");
        var forMissing = await host.FinishedAsync("dev", "missing");
        var took = clock.Elapsed;

        foreach (var (fork, repo) in new[] { (forPrivate, "secret"), (forMissing, "nope") })
        {
            Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
            Assert.Equal(ForkReasons.SourceNotFound, fork.Status.Error!.Reason);
            Assert.Equal(ForkReasons.SourceNotFoundMessage(LateOrg, repo, "latest"), fork.Status.Error.Message);
            Assert.Null(fork.Status.Resolved);
        }

        Assert.True(took < TimeSpan.FromSeconds(5), $"two forks of sources that do not exist (for dev) took {took} to fail");
        Assert.Null(lagging.Caches.Repositories.Get(LateOrg, VersNames.ToObjectName("secret")));

        // Its own org sees it: the live answer is not "missing" for everyone.
        await host.CreateForkAsync(LateOrg, "own", LateOrg, "secret", repoName: "secret-copy");
        var own = await host.UntilForkAsync(LateOrg, "own", f => f.Status?.Resolved is not null || f.Status?.Phase == ForkPhase.Failed);
        Assert.True(own.Status!.Phase != ForkPhase.Failed, $"{own.Status.Error?.Reason}: {own.Status.Error?.Message}");
    }
    /// <summary>
    /// The target name is claimed against the cache, and a taken name is confirmed with the API server before the fork
    /// fails with TargetExists: a Repository deleted a moment ago (a failed fork's rollback) may still be cached.
    /// </summary>
    [Fact]
    public async Task A_fork_into_the_name_of_a_repository_deleted_while_the_cache_lags_claims_it()
    {
        await using var host = await ForkHost.StartAsync(runOperator: false);
        await host.PublishAsync("dev", "gone");
        var held = new HeldWatches("repositories");
        await using var lagging = host.NewOperator("lagging", host.OperatorClient(held));
        await lagging.StartAsync(TestStack.Ct);
        Assert.NotNull(lagging.Caches.Repositories.Get("dev", "gone"));
        // Its finalizer is the lagging operator's, which cannot see the deletion: once it is on, taken off as an admin would.
        await Eventually.ReachAsync(async () => (await host.TryGetAsync(Repository.Type, "dev", "gone"))?.Metadata.Finalizers?.Count > 0, TimeSpan.FromSeconds(30));
        await host.Rest.PatchAsync<Repository>(Repository.Type, "dev", "gone", """{"metadata":{"finalizers":null}}""", TestStack.Ct, PatchKind.Merge);
        await host.Rest.DeleteAsync(Repository.Type, "dev", "gone", TestStack.Ct);
        Assert.Null(await host.TryGetAsync(Repository.Type, "dev", "gone"));

        await host.CreateForkAsync("dev", "reuse", repoName: "gone");
        var started = await host.UntilForkAsync("dev", "reuse", f => f.Status?.Phase is ForkPhase.Running or ForkPhase.Failed or ForkPhase.Succeeded);

        Assert.True(started.Status!.Phase != ForkPhase.Failed, $"{started.Status.Error?.Reason}: {started.Status.Error?.Message}");
        // The race was on: the operator's cache still held the deleted repository when it claimed the name.
        Assert.NotNull(lagging.Caches.Repositories.Get("dev", "gone"));
        held.Release();
        var fork = await host.FinishedAsync("dev", "reuse", TimeSpan.FromSeconds(60));
        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
    }
}
