using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.EndToEnd.Tests.Backends;

/// <summary>
/// The walking skeleton's scenarios, written once and run against every backend: LocalCluster (default),
/// K3s through Testcontainers, and a cluster of your own.
/// </summary>
public abstract class ForkScenarios<TBackend>(TBackend backend) : IClassFixture<TBackend>
    where TBackend : ClusterBackend
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Source => backend.Orgs.Source;

    private string Dev => backend.Orgs.DevNamespace;

    [Fact]
    public async Task Forking_a_public_repository_into_another_org_answers_201_and_records_it()
    {
        SkipUnlessRunning();

        var (status, body) = await backend.ForkAsync(new { source_org = Source, source_repo = "node", source_tag = "latest" });

        Assert.Equal(201, status);
        Assert.Equal("node:latest", (string?)body!["reference"]);
        var commitId = (string)body["commit_id"]!;
        Assert.NotNull(await backend.Rest.TryGetAsync<GenericObject>(KubeVirtTypes.VirtualMachine, Dev, (string)body["vm_id"]!, Ct));
        Assert.NotNull(await backend.Rest.TryGetAsync<Repository>(Repository.Type, Dev, "node", Ct));
        Assert.Equal(commitId, (await backend.Rest.GetAsync<Tag>(Tag.Type, Dev, "node.latest", Ct)).Spec.CommitId);
        Assert.True((await backend.Rest.GetAsync<Commit>(Commit.Type, Dev, commitId, Ct)).Status!.ReadyToUse);
    }

    [Fact]
    public async Task Forking_to_an_existing_repository_name_answers_409()
    {
        SkipUnlessRunning();
        var first = await backend.ForkAsync(new { source_org = Source, source_repo = "python", source_tag = "latest", repo_name = "python-twice" });
        Assert.Equal(201, first.Status);

        var (status, body) = await backend.ForkAsync(new { source_org = Source, source_repo = "python", source_tag = "latest", repo_name = "python-twice" });

        Assert.Equal(409, status);
        Assert.False(body!["success"]!.GetValue<bool>());
        Assert.Contains("python-twice", (string?)body["error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forking_a_missing_or_private_repository_answers_the_same_404()
    {
        SkipUnlessRunning();

        var missing = await backend.ForkAsync(new { source_org = Source, source_repo = "nothing-here", source_tag = "latest" });
        var privateOne = await backend.ForkAsync(new { source_org = Source, source_repo = "internal", source_tag = "latest" });

        Assert.Equal(404, missing.Status);
        Assert.Equal(404, privateOne.Status);
        Assert.Equal(ForkReasons.SourceNotFoundMessage(Source, "internal", "latest"), (string?)privateOne.Body!["error"]);
        Assert.Equal(ForkReasons.SourceNotFoundMessage(Source, "nothing-here", "latest"), (string?)missing.Body!["error"]);
    }

    [Fact]
    public async Task Forking_without_a_valid_key_answers_401()
    {
        SkipUnlessRunning();

        var (status, body) = await backend.ForkAsync(new { source_org = Source, source_repo = "go", source_tag = "latest" }, "not-a-key-of-this-cluster-0000");

        Assert.Equal(401, status);
        Assert.False(body!["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Forking_within_one_org_uses_a_VirtualMachineClone()
    {
        SkipUnlessRunning();

        var (status, body) = await backend.ForkAsync(new { source_org = backend.Orgs.Dev, source_repo = "devbox", source_tag = "latest", repo_name = "devbox-twin" });

        Assert.Equal(201, status);
        var vmId = (string)body!["vm_id"]!;
        var clone = await backend.Rest.GetAsync<GenericObject>(KubeVirtTypes.VirtualMachineClone, Dev, vmId, Ct);
        Assert.Equal("Succeeded", (string?)clone.Status!["phase"]);
    }

    private void SkipUnlessRunning()
    {
        if (backend.SkipReason is { } reason)
        {
            Assert.Skip($"{backend.Name}: {reason}");
        }
    }
}

public sealed class LocalClusterForkScenarios(LocalClusterBackend backend) : ForkScenarios<LocalClusterBackend>(backend);

[Trait("Category", "K3s")]
public sealed class K3sForkScenarios(K3sBackend backend) : ForkScenarios<K3sBackend>(backend);

[Trait("Category", "ExistingCluster")]
public sealed class ExistingClusterForkScenarios(ExistingClusterBackend backend) : ForkScenarios<ExistingClusterBackend>(backend);
