using System.Globalization;
using System.Text.Json.Nodes;
using Vers.Operator.Entities;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>Vers' repository read endpoints, answered from the shim's informer caches.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadEndpointTests(ShimCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Api => cluster.Host.ApiAddress;

    private static void AssertRfc3339(JsonNode? value) =>
        Assert.True(
            DateTime.TryParseExact((string?)value, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out _),
            $"{value} is an RFC 3339 UTC timestamp");

    [Fact]
    public async Task Public_repositories_are_listed_without_a_key_with_their_uid_org_and_full_name_and_private_ones_are_not()
    {
        var answer = await ShimCluster.GetAsync(Api, "api/v1/public/repositories", null, Ct);

        Assert.Equal(200, answer.Status);
        var repositories = answer.Object["repositories"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var names = repositories.Where(r => (string?)r["org_name"] == "vers").Select(r => (string?)r["name"]).ToList();
        Assert.Equal(["go", "node", "python", "rust"], names);
        var node = repositories.Single(r => (string?)r["full_name"] == "vers/node");
        var stored = await cluster.Rest.GetAsync<Repository>(Repository.Type, "vers", "node", Ct);
        Assert.Equal(stored.Metadata.Uid, (string?)node["repo_id"]);
        Assert.Equal("vers", (string?)node["org_name"]);
        AssertRfc3339(node["created_at"]);
        Assert.DoesNotContain(repositories, r => (string?)r["name"] == "internal");
    }

    [Fact]
    public async Task A_public_repositorys_tags_carry_id_name_reference_commit_and_timestamps()
    {
        var answer = await ShimCluster.GetAsync(Api, "api/v1/public/repositories/vers/node/tags", null, Ct);

        Assert.Equal(200, answer.Status);
        Assert.Equal("node", (string?)answer.Object["repository"]);
        var tag = Assert.Single(answer.Object["tags"]!.AsArray())!.AsObject();
        var stored = await cluster.Rest.GetAsync<Tag>(Tag.Type, "vers", "node.latest", Ct);
        Assert.Equal(stored.Metadata.Uid, (string?)tag["tag_id"]);
        Assert.Equal("latest", (string?)tag["tag_name"]);
        Assert.Equal("node:latest", (string?)tag["reference"]);
        Assert.Equal(stored.Spec.CommitId, (string?)tag["commit_id"]);
        AssertRfc3339(tag["created_at"]);
        AssertRfc3339(tag["updated_at"]);
    }

    [Fact]
    public async Task A_private_repositorys_public_tags_are_not_found_exactly_like_a_missing_repository()
    {
        var forPrivate = await ShimCluster.GetAsync(Api, "api/v1/public/repositories/vers/internal/tags", null, Ct);
        var forMissing = await ShimCluster.GetAsync(Api, "api/v1/public/repositories/vers/internax/tags", null, Ct);

        Assert.Equal(404, forPrivate.Status);
        Assert.Equal(forMissing.Status, forPrivate.Status);
        Assert.Equal(forMissing.Text.Replace("internax", "internal", StringComparison.Ordinal), forPrivate.Text);
    }

    [Fact]
    public async Task An_org_lists_its_own_repositories_and_their_tags_after_a_fork_and_nobody_elses()
    {
        var org = await cluster.NewOrgAsync(Ct);
        var other = await cluster.NewOrgAsync(Ct);
        var fork = await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"go","source_tag":"latest","tag_name":"v1"}""", Ct);
        Assert.Equal(201, fork.Status);

        ApiAnswer repositories = null!;
        await Eventually.ReachAsync(async () => (repositories = await ShimCluster.GetAsync(Api, "api/v1/repositories", org.Key, Ct)).Object["repositories"]!.AsArray().Count == 1, Ct);
        var repository = repositories.Object["repositories"]![0]!.AsObject();
        Assert.Equal("go", (string?)repository["name"]);
        Assert.False((bool)repository["is_public"]!);
        Assert.Equal((await cluster.Rest.GetAsync<Repository>(Repository.Type, org.Namespace, "go", Ct)).Metadata.Uid, (string?)repository["repo_id"]);
        AssertRfc3339(repository["created_at"]);

        ApiAnswer tags = null!;
        await Eventually.ReachAsync(async () => (tags = await ShimCluster.GetAsync(Api, "api/v1/repositories/go/tags", org.Key, Ct)).Status == 200, Ct);
        var tag = Assert.Single(tags.Object["tags"]!.AsArray())!.AsObject();
        Assert.Equal("v1", (string?)tag["tag_name"]);
        Assert.Equal("go:v1", (string?)tag["reference"]);
        Assert.Equal((string?)fork.Object["commit_id"], (string?)tag["commit_id"]);

        Assert.Empty((await ShimCluster.GetAsync(Api, "api/v1/repositories", other.Key, Ct)).Object["repositories"]!.AsArray());
        Assert.Equal(404, (await ShimCluster.GetAsync(Api, "api/v1/repositories/go/tags", other.Key, Ct)).Status);
    }

    [Fact]
    public async Task A_tags_updated_at_is_its_last_write_not_its_creation()
    {
        var org = await cluster.NewOrgAsync(Ct);
        Assert.Equal(201, (await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"touched"}""", Ct)).Status);
        await Eventually.ReachAsync(async () => (await ShimCluster.GetAsync(Api, "api/v1/repositories/touched/tags", org.Key, Ct)).Status == 200, Ct);
        var tag = (await cluster.Rest.ListAsync<Tag>(Tag.Type, org.Namespace, Ct)).Items.Single();
        await Task.Delay(TimeSpan.FromSeconds(1.1), Ct); // timestamps have whole seconds

        await cluster.Rest.PatchAsync<Tag>(Tag.Type, org.Namespace, tag.Metadata.Name, new { metadata = new { labels = new Dictionary<string, string> { ["touched"] = "yes" } } }, Ct);

        await Eventually.ReachAsync(
            async () =>
            {
                var listed = (await ShimCluster.GetAsync(Api, "api/v1/repositories/touched/tags", org.Key, Ct)).Object["tags"]![0]!;
                return string.CompareOrdinal((string?)listed["updated_at"], (string?)listed["created_at"]) > 0;
            },
            Ct);
    }

    [Fact]
    public async Task The_tags_of_a_repository_named_forks_are_listed_despite_the_operations_route()
    {
        var org = await cluster.NewOrgAsync(Ct);
        Assert.Equal(201, (await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"forks"}""", Ct)).Status);

        ApiAnswer tags = null!;
        await Eventually.ReachAsync(async () => (tags = await ShimCluster.GetAsync(Api, "api/v1/repositories/forks/tags", org.Key, Ct)).Status == 200, Ct);

        Assert.Equal("forks", (string?)tags.Object["repository"]);
        Assert.Equal("forks:latest", (string?)Assert.Single(tags.Object["tags"]!.AsArray())!["reference"]);
    }

    [Theory]
    [InlineData("api/v1/repositories")]
    [InlineData("api/v1/repositories/node/tags")]
    public async Task Own_org_listings_need_a_key(string path)
    {
        var answer = await ShimCluster.GetAsync(Api, path, null, Ct);

        Assert.Equal(401, answer.Status);
        Assert.Equal("Bearer", answer.Response.Headers.WwwAuthenticate.ToString());
    }
}
