using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt;
using Vers.LocalCluster.Seeding;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.EndToEnd.Tests.Forks;

/// <summary>POST /api/v1/repositories/fork through real HTTP against the all-in-one host.</summary>
public sealed class ForkApiTests(AllInOneFixture cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Forking_a_public_repository_into_another_org_answers_201_and_records_repository_tag_and_commit()
    {
        var (status, body, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "node", source_tag = "latest" });

        Assert.Equal(201, status);
        Assert.Equal("node", (string?)body!["repo_name"]);
        Assert.Equal("latest", (string?)body["tag_name"]);
        Assert.Equal("node:latest", (string?)body["reference"]);
        var commitId = (string)body["commit_id"]!;
        var vmId = (string)body["vm_id"]!;
        Assert.True(Guid.TryParseExact(commitId, "D", out _), $"commit_id {commitId} is a uuid");

        var vm = await cluster.Rest.GetAsync<GenericObject>(KubeVirtTypes.VirtualMachine, "dev", vmId, Ct);
        Assert.Equal("Always", (string?)vm.Spec!["runStrategy"]);
        var repository = await cluster.Rest.GetAsync<Repository>(Repository.Type, "dev", "node", Ct);
        Assert.Equal("node", repository.Spec.Name);
        Assert.Equal(Visibility.Private, repository.Spec.Visibility);
        Assert.Equal("vers", repository.Spec.ForkedFrom!.Org);
        var tag = await cluster.Rest.GetAsync<Tag>(Tag.Type, "dev", "node.latest", Ct);
        Assert.Equal(commitId, tag.Spec.CommitId);
        Assert.Equal("node:latest", tag.Status!.Reference);
        var commit = await cluster.Rest.GetAsync<Commit>(Commit.Type, "dev", commitId, Ct);
        Assert.True(commit.Status!.ReadyToUse);
        Assert.Equal(vmId, commit.Spec.SourceVm);
        Assert.Equal("vers", commit.Spec.ParentCommit!.Org);
        var snapshot = await cluster.Rest.GetAsync<GenericObject>(KubeVirtTypes.VirtualMachineSnapshot, "dev", commit.Spec.SnapshotName, Ct);
        Assert.True(snapshot.Status!["readyToUse"]!.GetValue<bool>());
        Assert.Equal(vmId, (string?)snapshot.Spec!["source"]!["name"]);

        var dataVolumes = (await cluster.Rest.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, "dev", Ct, labelSelector: VersGroup.ForkUidLabel)).Items
            .Where(dv => dv.Metadata.Name.StartsWith(vmId, StringComparison.Ordinal))
            .ToList();
        var dataVolume = Assert.Single(dataVolumes);
        Assert.Equal("vers", (string?)dataVolume.Spec!["source"]!["snapshot"]!["namespace"]);
        Assert.Equal("Succeeded", (string?)dataVolume.Status!["phase"]);
        Assert.Empty(await cluster.Rest.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachineClone, "dev", Ct, fieldSelector: $"metadata.name={vmId}") is var clones ? clones.Items : []);
    }

    [Fact]
    public async Task Forking_the_same_repository_again_answers_409_with_the_error_body_and_creates_no_fork()
    {
        var first = await cluster.ForkAsync(new { source_org = "vers", source_repo = "python", source_tag = "latest" });
        Assert.Equal(201, first.Status);
        var forksBefore = await cluster.CountForksAsync();

        var (status, body, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "python", source_tag = "latest" });

        Assert.Equal(409, status);
        AssertErrorBody(body, "python");
        var repository = await cluster.Rest.GetAsync<Repository>(Repository.Type, "dev", "python", Ct);
        Assert.Equal(VersGroup.ManagedBy, repository.Metadata.Labels[VersGroup.ManagedByLabel]);
        Assert.Equal(forksBefore, await cluster.CountForksAsync());
    }

    [Fact]
    public async Task Forking_with_repo_name_and_tag_name_uses_them_in_the_reference()
    {
        var (status, body, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "rust", source_tag = "latest", repo_name = "My_Rust.env", tag_name = "v1" });

        Assert.Equal(201, status);
        Assert.Equal("My_Rust.env", (string?)body!["repo_name"]);
        Assert.Equal("v1", (string?)body["tag_name"]);
        Assert.Equal("My_Rust.env:v1", (string?)body["reference"]);
        var repository = await cluster.Rest.GetAsync<Repository>(Repository.Type, "dev", VersNames.ToObjectName("My_Rust.env"), Ct);
        Assert.Equal("My_Rust.env", repository.Spec.Name);
        var tag = await cluster.Rest.GetAsync<Tag>(Tag.Type, "dev", VersNames.TagObjectName("My_Rust.env", "v1"), Ct);
        Assert.Equal((string?)body["commit_id"], tag.Spec.CommitId);
    }

    [Theory]
    [InlineData("nobody", "node", "latest")]
    [InlineData("vers", "does-not-exist", "latest")]
    [InlineData("vers", "node", "v999")]
    public async Task Forking_an_unknown_org_repository_or_tag_answers_404(string org, string repo, string tag)
    {
        var (status, body, _) = await cluster.ForkAsync(new { source_org = org, source_repo = repo, source_tag = tag, repo_name = $"x-{Guid.NewGuid():N}" });

        Assert.Equal(404, status);
        Assert.Equal(ForkReasonsText(org, repo, tag), (string?)body!["error"]);
        Assert.False(body["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Forking_another_orgs_private_repository_answers_exactly_like_a_missing_one()
    {
        var forPrivate = await cluster.ForkAsync(new { source_org = "vers", source_repo = "internal", source_tag = "latest" });
        var forMissing = await cluster.ForkAsync(new { source_org = "vers", source_repo = "internax", source_tag = "latest" });

        Assert.Equal(404, forPrivate.Status);
        Assert.Equal(forMissing.Status, forPrivate.Status);
        Assert.Equal(
            forMissing.Body!.ToJsonString().Replace("internax", "internal", StringComparison.Ordinal),
            forPrivate.Body!.ToJsonString());
        Assert.Equal(forMissing.Response.Content.Headers.ContentType, forPrivate.Response.Content.Headers.ContentType);
        Assert.False(await cluster.Rest.TryGetAsync<Repository>(Repository.Type, "dev", "internal", Ct) is not null);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-key-of-this-cluster-123456")]
    [InlineData("e2e-dev-key-0123456789abcdeX")]
    public async Task Forking_without_a_valid_key_answers_401_and_creates_nothing(string key)
    {
        var before = await cluster.CountForksAsync();

        var (status, body, response) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "go", source_tag = "latest" }, key);

        Assert.Equal(401, status);
        AssertErrorBody(body, "API key");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(before, await cluster.CountForksAsync());
    }

    [Fact]
    public async Task Forking_within_one_org_uses_a_VirtualMachineClone()
    {
        await new RepositoryPublisher(cluster.Kube).PublishAsync("dev", "dev", "workbench", "stable", Visibility.Private, Ct);

        var (status, body, _) = await cluster.ForkAsync(new { source_org = "dev", source_repo = "workbench", source_tag = "stable", repo_name = "workbench-copy" });

        Assert.Equal(201, status);
        var vmId = (string)body!["vm_id"]!;
        var clone = await cluster.Rest.GetAsync<GenericObject>(KubeVirtTypes.VirtualMachineClone, "dev", vmId, Ct);
        Assert.Equal("VirtualMachineSnapshot", (string?)clone.Spec!["source"]!["kind"]);
        Assert.Equal(vmId, (string?)clone.Spec["target"]!["name"]);
        Assert.Equal("Succeeded", (string?)clone.Status!["phase"]);
        var dataVolumes = await cluster.Rest.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, "dev", Ct, labelSelector: VersGroup.ForkUidLabel);
        Assert.DoesNotContain(dataVolumes.Items, dv => dv.Metadata.Name.StartsWith(vmId, StringComparison.Ordinal));
        var vm = await cluster.Rest.GetAsync<GenericObject>(KubeVirtTypes.VirtualMachine, "dev", vmId, Ct);
        Assert.Equal("Running", (string?)vm.Status!["printableStatus"]);
    }

    [Fact]
    public async Task Every_KubeVirt_and_CDI_object_a_fork_creates_is_valid_against_the_real_schemas()
    {
        var (status, _, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "go", source_tag = "latest", repo_name = "go-schema-check" });
        Assert.Equal(201, status);

        var checkedObjects = 0;
        foreach (var type in new[] { KubeVirtTypes.VirtualMachine, KubeVirtTypes.VirtualMachineSnapshot, KubeVirtTypes.VirtualMachineClone, KubeVirtTypes.DataVolume })
        {
            var list = await cluster.Rest.ListAsync<GenericObject>(type, "dev", Ct, labelSelector: VersGroup.ForkUidLabel);
            foreach (var obj in list.Items)
            {
                var json = JsonNode.Parse(k8s.KubernetesJson.Serialize(obj))!;
                var result = KubeVirtSchemaValidator.Validate(json);
                Assert.True(result.IsValid, $"{type.Kind} {obj.Metadata.Name}: {result}");
                checkedObjects++;
            }
        }

        Assert.True(checkedObjects >= 3, $"checked {checkedObjects} objects");
    }

    private static string ForkReasonsText(string org, string repo, string tag) =>
        Vers.Operator.Forks.ForkReasons.SourceNotFoundMessage(org, repo, tag);

    internal static void AssertErrorBody(JsonObject? body, string mentions)
    {
        Assert.NotNull(body);
        Assert.Equal(2, body.Count);
        Assert.False(body["success"]!.GetValue<bool>());
        var error = (string?)body["error"];
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Contains(mentions, error, StringComparison.OrdinalIgnoreCase);
    }
}
