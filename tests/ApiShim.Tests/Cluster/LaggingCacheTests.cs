using Vers.LocalCluster.Seeding;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>
/// The fork API answers 404 before creating anything when the source does not exist. Its caches may lag a source
/// published a moment ago (each informer has a watch of its own): here its Repository and Tag watches are held back
/// (<see cref="HeldWatches"/>), so its caches never see the new source. A 404 is given only once the API server agrees,
/// under the same visibility rule.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LaggingCacheTests(ShimCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tag_published_a_moment_ago_is_forked_and_a_private_one_still_looks_missing()
    {
        var source = await cluster.NewOrgAsync();
        var caller = await cluster.NewOrgAsync();
        var held = new HeldWatches("repositories", "tags");
        await using var shim = await cluster.StartShimAsync(o => o, Ct, cluster.ShimClient(held));
        var publisher = new RepositoryPublisher(cluster.Host.Client);
        await publisher.PublishAsync(source.Namespace, source.Name, "fresh", "latest", Visibility.Public, Ct);
        await publisher.PublishAsync(source.Namespace, source.Name, "hidden", "latest", Visibility.Private, Ct);

        var forFresh = await ShimCluster.ForkAsync(shim.BaseAddress, caller.Key, Body(source.Name, "fresh"), Ct);
        var forHidden = await ShimCluster.ForkAsync(shim.BaseAddress, caller.Key, Body(source.Name, "hidden"), Ct);
        var forMissing = await ShimCluster.ForkAsync(shim.BaseAddress, caller.Key, Body(source.Name, "nope"), Ct);

        Assert.True(forFresh.Status == 201, forFresh.Text);
        Assert.Equal("fresh:latest", (string?)forFresh.Object["reference"]);
        foreach (var (answer, repo) in new[] { (forHidden, "hidden"), (forMissing, "nope") })
        {
            Assert.Equal(404, answer.Status);
            Assert.Equal(ForkReasons.SourceNotFoundMessage(source.Name, repo, "latest"), (string?)answer.Object["error"]);
        }

        // The race was on: this fork API's caches still do not know the repository (its read endpoint answers from them).
        Assert.Equal(404, (await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/repositories/fresh", source.Key, Ct)).Status);
        Assert.Single(await cluster.ForksOfAsync(caller, Ct));
    }

    /// <summary>
    /// A 409 is given only once the API server agrees, too: a repository deleted a moment ago (a failed fork's rollback,
    /// a user's delete) still sits in a lagging cache, and a fork into its name must not be refused for it.
    /// </summary>
    [Fact]
    public async Task A_repository_deleted_a_moment_ago_frees_its_name_and_one_still_there_is_a_conflict()
    {
        var source = await cluster.NewOrgAsync();
        var caller = await cluster.NewOrgAsync();
        var publisher = new RepositoryPublisher(cluster.Host.Client);
        await publisher.PublishAsync(source.Namespace, source.Name, "base", "latest", Visibility.Public, Ct);
        await publisher.PublishAsync(caller.Namespace, caller.Name, "gone", "latest", Visibility.Private, Ct);
        await publisher.PublishAsync(caller.Namespace, caller.Name, "kept", "latest", Visibility.Private, Ct);
        var held = new HeldWatches("repositories");
        await using var shim = await cluster.StartShimAsync(o => o, Ct, cluster.ShimClient(held));
        await cluster.Rest.DeleteAsync(Repository.Type, caller.Namespace, "gone", Ct);
        await cluster.Rest.UntilGoneAsync(Repository.Type, caller.Namespace, "gone", TimeSpan.FromSeconds(30), Ct);

        var intoGone = await ShimCluster.ForkAsync(shim.BaseAddress, caller.Key, Body(source.Name, "base", target: "gone"), Ct);
        var intoKept = await ShimCluster.ForkAsync(shim.BaseAddress, caller.Key, Body(source.Name, "base", target: "kept"), Ct);

        Assert.True(intoGone.Status == 201, intoGone.Text);
        Assert.Equal(409, intoKept.Status);
        Assert.Equal("repository kept already exists", (string?)intoKept.Object["error"]);
        held.Release();
    }

    private static string Body(string org, string repo, string target) =>
        $$"""{"source_org":"{{org}}","source_repo":"{{repo}}","source_tag":"latest","repo_name":"{{target}}"}""";

    private static string Body(string org, string repo) => $$"""{"source_org":"{{org}}","source_repo":"{{repo}}","source_tag":"latest"}""";
}
