using Vers.ApiShim.Forks;
using Vers.Api;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>Prefer: respond-async, the operation endpoint, and the synchronous wait running out.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AsyncOperationTests(ShimCluster cluster)
{
    private const string NodeFork = """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Api => cluster.Host.ApiAddress;

    private static async Task<ApiAnswer> PollUntilFinishedAsync(Uri api, string location, string key)
    {
        ApiAnswer? answer = null;
        await Eventually.ReachAsync(
            async () => (answer = await ShimCluster.GetAsync(api, location.TrimStart('/'), key, Ct)).Status != 200 || (string?)answer.Object["status"] != "pending",
            Ct,
            TimeSpan.FromSeconds(30));
        return answer!;
    }

    [Fact]
    public async Task Respond_async_answers_202_with_the_operation_and_polling_it_yields_the_201_fields()
    {
        var org = await cluster.NewOrgAsync();

        var accepted = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Prefer", "respond-async"));

        Assert.Equal(202, accepted.Status);
        var id = (string)accepted.Object["id"]!;
        var location = accepted.Response.Headers.Location?.ToString();
        Assert.Equal(ForkService.OperationPath(id), location);
        Assert.Equal("pending", (string?)accepted.Object["status"]);
        Assert.True(DateTime.TryParse((string?)accepted.Object["created_at"], out _));
        Assert.Equal("respond-async", accepted.Response.Headers.GetValues("Preference-Applied").Single());

        var done = await PollUntilFinishedAsync(Api, location!, org.Key);

        Assert.Equal(200, done.Status);
        Assert.Equal("succeeded", (string?)done.Object["status"]);
        Assert.Equal(id, (string?)done.Object["id"]);
        Assert.Equal("node:latest", (string?)done.Object["reference"]);
        Assert.Equal("node", (string?)done.Object["repo_name"]);
        Assert.Equal("latest", (string?)done.Object["tag_name"]);
        Assert.True(Guid.TryParse((string?)done.Object["commit_id"], out _));
        Assert.NotNull(await cluster.Rest.TryGetAsync<Repository>(Repository.Type, org.Namespace, "node", Ct));
        Assert.Null(done.Object["error"]);
    }

    [Fact]
    public async Task A_failed_operation_carries_the_error_and_the_status_code_the_synchronous_call_answers()
    {
        var org = await cluster.NewOrgAsync();
        cluster.Simulator.FailNext("DataVolume", org.Namespace);

        var accepted = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Prefer", "wait=1, respond-async"));
        Assert.Equal(202, accepted.Status);
        var done = await PollUntilFinishedAsync(Api, accepted.Response.Headers.Location!.ToString(), org.Key);

        Assert.Equal("failed", (string?)done.Object["status"]);
        Assert.Equal(500, (int)done.Object["code"]!);
        Assert.StartsWith("fork failed (CloneFailed): DataVolume", (string?)done.Object["error"], StringComparison.Ordinal);
        Assert.Null(done.Object["vm_id"]);
    }

    [Fact]
    public async Task A_request_answerable_at_once_is_answered_with_its_status_even_when_async_is_preferred()
    {
        var org = await cluster.NewOrgAsync();

        var answer = await ShimCluster.ForkAsync(
            Api, org.Key, """{"source_org":"vers","source_repo":"internal","source_tag":"latest"}""", Ct, ("Prefer", "respond-async"));

        Assert.Equal(404, answer.Status);
        Assert.Equal("source repository or tag not found: vers/internal:latest", (string?)answer.Object["error"]);
        Assert.Null(answer.Response.Headers.Location);
        Assert.Empty(await cluster.ForksOfAsync(org, Ct));
    }

    [Fact]
    public async Task Another_orgs_operation_is_not_found_exactly_like_a_missing_one()
    {
        var owner = await cluster.NewOrgAsync();
        var other = await cluster.NewOrgAsync();
        var accepted = await ShimCluster.ForkAsync(Api, owner.Key, NodeFork, Ct, ("Prefer", "respond-async"));
        var id = (string)accepted.Object["id"]!;

        var foreign = await ShimCluster.GetAsync(Api, $"api/v1/repositories/forks/{id}", other.Key, Ct);
        var missing = await ShimCluster.GetAsync(Api, "api/v1/repositories/forks/fork-zzzzz", other.Key, Ct);

        Assert.Equal(404, foreign.Status);
        Assert.Equal(missing.Status, foreign.Status);
        Assert.Equal(missing.Text.Replace("fork-zzzzz", id, StringComparison.Ordinal), foreign.Text);
        Assert.Equal(200, (await ShimCluster.GetAsync(Api, $"api/v1/repositories/forks/{id}", owner.Key, Ct)).Status);
    }

    [Fact]
    public async Task The_operation_endpoint_needs_a_key()
    {
        var answer = await ShimCluster.GetAsync(Api, "api/v1/repositories/forks/fork-abcde", null, Ct);

        Assert.Equal(401, answer.Status);
        Assert.False((bool)answer.Object["success"]!);
    }

    [Fact]
    public async Task A_wait_longer_than_the_limit_answers_500_naming_the_operation_and_the_fork_still_completes()
    {
        var org = await cluster.NewOrgAsync();
        await using var impatient = await cluster.StartShimAsync(o => o with { WaitTimeout = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.FromSeconds(1));
        try
        {
            var answer = await ShimCluster.ForkAsync(impatient.BaseAddress, org.Key, NodeFork, Ct);

            Assert.Equal(500, answer.Status);
            var fork = Assert.Single(await cluster.ForksOfAsync(org, Ct));
            var operation = ForkService.OperationPath(fork.Metadata.Name);
            Assert.Contains(operation, (string?)answer.Object["error"], StringComparison.Ordinal);
            Assert.False((bool)answer.Object["success"]!);
            Assert.Equal(operation, answer.Response.Headers.Location?.ToString());

            var done = await PollUntilFinishedAsync(impatient.BaseAddress, operation, org.Key);
            Assert.Equal("succeeded", (string?)done.Object["status"]);
            Assert.Equal("node:latest", (string?)done.Object["reference"]);
        }
        finally
        {
            cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task An_async_replay_of_an_idempotent_request_points_at_the_same_operation()
    {
        var org = await cluster.NewOrgAsync();

        var first = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Prefer", "respond-async"), ("Idempotency-Key", "async-replay"));
        var replay = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Prefer", "respond-async"), ("Idempotency-Key", "async-replay"));

        Assert.Equal(202, first.Status);
        Assert.Equal(202, replay.Status);
        Assert.Equal(first.Response.Headers.Location, replay.Response.Headers.Location);
        Assert.Single(await cluster.ForksOfAsync(org, Ct));
    }
}
