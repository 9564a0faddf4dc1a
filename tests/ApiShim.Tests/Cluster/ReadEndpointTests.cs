using System.Globalization;
using System.Text.Json.Nodes;
using Vers.Api;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>Vers' repository read endpoints, answered from the shim's informer caches.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadEndpointTests(ShimCluster cluster)
{
    private const string NodeFork = """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""";

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
        var org = await cluster.NewOrgAsync();
        var other = await cluster.NewOrgAsync();
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
        var org = await cluster.NewOrgAsync();
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
        var org = await cluster.NewOrgAsync();
        Assert.Equal(201, (await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"forks"}""", Ct)).Status);

        ApiAnswer tags = null!;
        await Eventually.ReachAsync(async () => (tags = await ShimCluster.GetAsync(Api, "api/v1/repositories/forks/tags", org.Key, Ct)).Status == 200, Ct);

        Assert.Equal("forks", (string?)tags.Object["repository"]);
        Assert.Equal("forks:latest", (string?)Assert.Single(tags.Object["tags"]!.AsArray())!["reference"]);
    }

    [Fact]
    public async Task A_repository_named_fork_is_read_despite_the_fork_route()
    {
        var org = await cluster.NewOrgAsync();
        Assert.Equal(201, (await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"fork"}""", Ct)).Status);

        var repository = await ShimCluster.GetAsync(Api, "api/v1/repositories/fork", org.Key, Ct);
        var tag = await ShimCluster.GetAsync(Api, "api/v1/repositories/fork/tags/latest", org.Key, Ct);

        Assert.Equal(200, repository.Status);
        Assert.Equal("fork", (string?)repository.Object["name"]);
        Assert.Equal("fork:latest", (string?)tag.Object["reference"]);
    }

    [Fact]
    public async Task A_public_repository_is_read_by_org_and_name_without_a_key()
    {
        var answer = await ShimCluster.GetAsync(Api, "api/v1/public/repositories/vers/node", null, Ct);

        Assert.Equal(200, answer.Status);
        var stored = await cluster.Rest.GetAsync<Repository>(Repository.Type, "vers", "node", Ct);
        Assert.Equal(stored.Metadata.Uid, (string?)answer.Object["repo_id"]);
        Assert.Equal("vers", (string?)answer.Object["org_name"]);
        Assert.Equal("node", (string?)answer.Object["name"]);
        Assert.Equal("vers/node", (string?)answer.Object["full_name"]);
        AssertRfc3339(answer.Object["created_at"]);
    }

    [Fact]
    public async Task A_public_tag_resolves_to_its_commit_without_a_key()
    {
        var answer = await ShimCluster.GetAsync(Api, "api/v1/public/repositories/vers/node/tags/latest", null, Ct);

        Assert.Equal(200, answer.Status);
        var stored = await cluster.Rest.GetAsync<Tag>(Tag.Type, "vers", "node.latest", Ct);
        Assert.Equal(stored.Metadata.Uid, (string?)answer.Object["tag_id"]);
        Assert.Equal("latest", (string?)answer.Object["tag_name"]);
        Assert.Equal("node:latest", (string?)answer.Object["reference"]);
        Assert.Equal(stored.Spec.CommitId, (string?)answer.Object["commit_id"]);
        AssertRfc3339(answer.Object["updated_at"]);
    }

    [Theory]
    [InlineData("api/v1/public/repositories/vers/internal", "api/v1/public/repositories/vers/internax")]
    [InlineData("api/v1/public/repositories/vers/internal/tags/latest", "api/v1/public/repositories/vers/internax/tags/latest")]
    public async Task Another_orgs_private_repository_reads_exactly_like_a_missing_one(string privatePath, string missingPath)
    {
        var forPrivate = await ShimCluster.GetAsync(Api, privatePath, null, Ct);
        var forMissing = await ShimCluster.GetAsync(Api, missingPath, null, Ct);

        Assert.Equal(404, forPrivate.Status);
        Assert.Equal(forMissing.Status, forPrivate.Status);
        Assert.Equal(forMissing.Text.Replace("internax", "internal", StringComparison.Ordinal), forPrivate.Text);
    }

    [Fact]
    public async Task A_missing_public_tag_is_not_found_naming_repository_and_tag()
    {
        var answer = await ShimCluster.GetAsync(Api, "api/v1/public/repositories/vers/node/tags/v999", null, Ct);

        Assert.Equal(404, answer.Status);
        Assert.Equal("repository or tag not found: vers/node:v999", (string?)answer.Object["error"]);
        Assert.False((bool)answer.Object["success"]!);
    }

    [Fact]
    public async Task An_org_reads_its_forked_repository_and_tag_by_name_and_another_org_finds_neither()
    {
        var org = await cluster.NewOrgAsync();
        var other = await cluster.NewOrgAsync();
        var fork = await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"rust","source_tag":"latest","repo_name":"my.rust","tag_name":"v1"}""", Ct);
        Assert.Equal(201, fork.Status);

        ApiAnswer repository = null!;
        await Eventually.ReachAsync(async () => (repository = await ShimCluster.GetAsync(Api, "api/v1/repositories/my.rust", org.Key, Ct)).Status == 200, Ct);
        ApiAnswer tag = null!;
        await Eventually.ReachAsync(async () => (tag = await ShimCluster.GetAsync(Api, "api/v1/repositories/my.rust/tags/v1", org.Key, Ct)).Status == 200, Ct);

        Assert.Equal("my.rust", (string?)repository.Object["name"]);
        Assert.False((bool)repository.Object["is_public"]!);
        Assert.Equal((await cluster.Rest.GetAsync<Repository>(Repository.Type, org.Namespace, VersNames.ToObjectName("my.rust"), Ct)).Metadata.Uid, (string?)repository.Object["repo_id"]);
        AssertRfc3339(repository.Object["created_at"]);
        Assert.Equal("v1", (string?)tag.Object["tag_name"]);
        Assert.Equal("my.rust:v1", (string?)tag.Object["reference"]);
        Assert.Equal((string?)fork.Object["commit_id"], (string?)tag.Object["commit_id"]);
        var foreignRepository = await ShimCluster.GetAsync(Api, "api/v1/repositories/my.rust", other.Key, Ct);
        var foreignTag = await ShimCluster.GetAsync(Api, "api/v1/repositories/my.rust/tags/v1", other.Key, Ct);
        Assert.Equal(404, foreignRepository.Status);
        Assert.Equal("repository not found: my.rust", (string?)foreignRepository.Object["error"]);
        Assert.Equal(404, foreignTag.Status);
        Assert.Equal("repository or tag not found: my.rust:v1", (string?)foreignTag.Object["error"]);
        Assert.Equal(404, (await ShimCluster.GetAsync(Api, "api/v1/repositories/my.rust/tags/v2", org.Key, Ct)).Status);
    }

    [Fact]
    public async Task The_vm_list_is_the_orgs_virtual_machines_as_a_json_array()
    {
        var org = await cluster.NewOrgAsync();
        var empty = await ShimCluster.GetAsync(Api, "api/v1/vms", org.Key, Ct);
        Assert.Equal(200, empty.Status);
        Assert.Empty(empty.Body!.AsArray());

        var fork = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct);
        Assert.Equal(201, fork.Status);

        ApiAnswer vms = null!;
        await Eventually.ReachAsync(async () => (vms = await ShimCluster.GetAsync(Api, "api/v1/vms", org.Key, Ct)).Body!.AsArray().Count == 1, Ct);
        var vm = vms.Body!.AsArray().Single()!.AsObject();
        Assert.Equal((string?)fork.Object["vm_id"], (string?)vm["vm_id"]);
        Assert.Equal("running", (string?)vm["state"]);
        Assert.Equal((await cluster.Rest.GetAsync<k8s.Models.V1Namespace>(Kube.ResourceType.Namespace, null, org.Namespace, Ct)).Metadata.Uid, (string?)vm["owner_id"]);
        AssertRfc3339(vm["created_at"]);
        Assert.DoesNotContain(
            (await ShimCluster.GetAsync(Api, "api/v1/vms", cluster.Host.DevApiKey, Ct)).Body!.AsArray(),
            v => (string?)v!["vm_id"] == (string?)fork.Object["vm_id"]);
    }

    [Theory]
    [InlineData("Running", "running")]
    [InlineData("Paused", "paused")]
    [InlineData("Stopped", "sleeping")]
    [InlineData("Provisioning", "booting")]
    [InlineData("Starting", "booting")]
    [InlineData("ErrorUnschedulable", "booting")]
    [InlineData(null, "booting")]
    [InlineData("CrashLoopBackOff", "dead")]
    [InlineData("Terminating", "dead")]
    public void A_vms_state_is_vers_word_for_kubevirts_printable_status(string? printableStatus, string state) =>
        Assert.Equal(state, Vms.VmCatalog.State(printableStatus));

    [Fact]
    public async Task Validating_a_key_answers_whether_it_is_valid_and_for_which_org()
    {
        var org = await cluster.NewOrgAsync();

        var valid = await ShimCluster.SendAsync(Api, HttpMethod.Post, "api/v1/keys/validate", org.Key, null, Ct);
        var revoked = await ShimCluster.SendAsync(Api, HttpMethod.Post, "api/v1/keys/validate", org.Key[..^1] + (org.Key[^1] == 'a' ? 'b' : 'a'), "{}", Ct);
        var none = await ShimCluster.SendAsync(Api, HttpMethod.Post, "api/v1/keys/validate", null, null, Ct);

        Assert.Equal(200, valid.Status);
        Assert.True((bool)valid.Object["valid"]!);
        Assert.Contains(org.Name, (string?)valid.Object["message"], StringComparison.Ordinal);
        Assert.Equal(200, revoked.Status);
        Assert.False((bool)revoked.Object["valid"]!);
        Assert.Equal(200, none.Status);
        Assert.False((bool)none.Object["valid"]!);
        Assert.Contains("Authorization: Bearer", (string?)none.Object["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_whose_org_has_no_namespace_is_refused_with_403_naming_the_org_and_validates_as_invalid()
    {
        var (key, _) = await Vers.ApiShim.Auth.ApiKeys.CreateAsync(cluster.Host.Client, TestStack.ReleaseNamespace, "org-without-ns", Ct);
        ApiAnswer answer = null!;
        await Eventually.ReachAsync(async () => (answer = await ShimCluster.GetAsync(Api, "api/v1/vms", key, Ct)).Status != 401, Ct);

        var fork = await ShimCluster.ForkAsync(Api, key, NodeFork, Ct);
        var validation = await ShimCluster.SendAsync(Api, HttpMethod.Post, "api/v1/keys/validate", key, null, Ct);

        Assert.Equal(403, answer.Status);
        Assert.Equal(
            "organisation org-without-ns of this API key does not exist on this cluster: no namespace is labelled vers.sh/org=org-without-ns",
            (string?)answer.Object["error"]);
        Assert.Equal(403, fork.Status);
        Assert.Equal(answer.Text, fork.Text);
        Assert.False((bool)validation.Object["valid"]!);
    }

    [Theory]
    [InlineData("api/v1/repositories")]
    [InlineData("api/v1/repositories/node")]
    [InlineData("api/v1/repositories/node/tags")]
    [InlineData("api/v1/repositories/node/tags/latest")]
    [InlineData("api/v1/vms")]
    public async Task Own_org_listings_need_a_key(string path)
    {
        var answer = await ShimCluster.GetAsync(Api, path, null, Ct);

        Assert.Equal(401, answer.Status);
        Assert.Equal("Bearer", answer.Response.Headers.WwwAuthenticate.ToString());
    }
}
