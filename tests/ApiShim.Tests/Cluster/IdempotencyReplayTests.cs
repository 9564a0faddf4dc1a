using Vers.ApiShim.Forks;
using Vers.Api;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>Idempotency-Key through real HTTP: replays get the first answer and never a second fork.</summary>
[Collection(ClusterCollection.Name)]
public sealed class IdempotencyReplayTests(ShimCluster cluster)
{
    private const string NodeFork = """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Api => cluster.Host.ApiAddress;

    [Theory]
    [InlineData("Idempotency-Key")]
    [InlineData("X-Idempotency-Key")]
    public async Task A_replay_after_success_answers_the_same_status_and_body_and_creates_nothing_more(string header)
    {
        var org = await cluster.NewOrgAsync();
        var first = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, (header, "replay-after-success"));
        Assert.Equal(201, first.Status);

        // Same meaning, other spelling: field order, whitespace, an explicit null and an unknown field.
        var replay = await ShimCluster.ForkAsync(
            Api, org.Key, """{ "source_tag": "latest", "repo_name": null, "source_repo": "node", "source_org": "vers", "client": "retry" }""", Ct, (header, "replay-after-success"));

        Assert.Equal(first.Status, replay.Status);
        Assert.Equal(first.Text, replay.Text);
        Assert.Single(await cluster.ForksOfAsync(org, Ct));
        Assert.Equal(1, await cluster.VirtualMachinesOfAsync(org, Ct));
    }

    [Fact]
    public async Task A_replay_of_a_request_answered_before_any_work_answers_the_same_error_and_creates_nothing()
    {
        var org = await cluster.NewOrgAsync();
        const string missing = """{"source_org":"vers","source_repo":"no-such-repo","source_tag":"latest"}""";
        var first = await ShimCluster.ForkAsync(Api, org.Key, missing, Ct, ("Idempotency-Key", "failed-once"));
        Assert.Equal(404, first.Status);

        var replay = await ShimCluster.ForkAsync(Api, org.Key, missing, Ct, ("Idempotency-Key", "failed-once"));

        Assert.Equal(404, replay.Status);
        Assert.Equal(first.Text, replay.Text);
        Assert.Empty(await cluster.ForksOfAsync(org, Ct));
    }

    [Fact]
    public async Task A_replay_of_a_fork_that_failed_in_the_operator_answers_the_same_error_from_the_one_failed_fork()
    {
        var org = await cluster.NewOrgAsync();
        cluster.Simulator.FailNext("DataVolume", org.Namespace);
        var first = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "failed-in-operator"));
        Assert.Equal(500, first.Status);

        var replay = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "failed-in-operator"));

        Assert.Equal(500, replay.Status);
        Assert.Equal(first.Text, replay.Text);
        Assert.Equal(ForkPhase.Failed, Assert.Single(await cluster.ForksOfAsync(org, Ct)).Status?.Phase);
    }

    [Theory]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"node"}""")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","tag_name":"latest"}""")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"node","tag_name":"latest"}""")]
    public async Task A_retry_that_spells_out_the_default_names_replays_the_request_that_omitted_them(string spelledOut)
    {
        var org = await cluster.NewOrgAsync();
        var first = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "defaults"));
        Assert.Equal(201, first.Status);

        var retry = await ShimCluster.ForkAsync(Api, org.Key, spelledOut, Ct, ("Idempotency-Key", "defaults"));

        Assert.Equal(201, retry.Status);
        Assert.Equal(first.Text, retry.Text);
        Assert.Single(await cluster.ForksOfAsync(org, Ct));
    }

    [Fact]
    public async Task Idempotency_key_wins_over_the_sdks_x_idempotency_key_and_both_together_are_no_error()
    {
        var org = await cluster.NewOrgAsync();
        var first = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "callers-own"), ("X-Idempotency-Key", "sdk-random-1"));
        Assert.Equal(201, first.Status);

        // The SDK makes up a new X-Idempotency-Key for each call; the caller's own key still names the same request.
        var retry = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "callers-own"), ("X-Idempotency-Key", "sdk-random-2"));

        Assert.Equal(201, retry.Status);
        Assert.Equal(first.Text, retry.Text);
        var fork = Assert.Single(await cluster.ForksOfAsync(org, Ct));
        Assert.Equal(Idempotency.ObjectName(org.Name, "callers-own"), fork.Metadata.Name);
    }

    [Fact]
    public async Task A_replay_while_the_first_request_runs_waits_for_the_same_fork_and_gets_the_same_answer()
    {
        var org = await cluster.NewOrgAsync();
        cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.FromSeconds(2));
        try
        {
            var first = ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "in-flight"));
            RepositoryFork? running = null;
            await Eventually.ReachAsync(async () => (running = (await cluster.ForksOfAsync(org, Ct)).SingleOrDefault()) is not null, Ct);
            Assert.False(running!.Status?.Phase is ForkPhase.Succeeded or ForkPhase.Failed, "the first fork is still running when the replay is sent");

            var replay = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "in-flight"));
            var original = await first;

            Assert.Equal(201, original.Status);
            Assert.Equal(original.Status, replay.Status);
            Assert.Equal(original.Text, replay.Text);
            Assert.Single(await cluster.ForksOfAsync(org, Ct));
            Assert.Equal(1, await cluster.VirtualMachinesOfAsync(org, Ct));
        }
        finally
        {
            cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task A_replay_after_the_shim_restarts_answers_the_same_as_before()
    {
        var org = await cluster.NewOrgAsync();
        ApiAnswer first;
        await using (var shim = await cluster.StartShimAsync(o => o, Ct))
        {
            first = await ShimCluster.ForkAsync(shim.BaseAddress, org.Key, NodeFork, Ct, ("Idempotency-Key", "across-restarts"));
            Assert.Equal(201, first.Status);
        }

        await using var restarted = await cluster.StartShimAsync(o => o, Ct);
        var replay = await ShimCluster.ForkAsync(restarted.BaseAddress, org.Key, NodeFork, Ct, ("Idempotency-Key", "across-restarts"));

        Assert.Equal(201, replay.Status);
        Assert.Equal(first.Text, replay.Text);
        Assert.Single(await cluster.ForksOfAsync(org, Ct));
        Assert.Equal(1, await cluster.VirtualMachinesOfAsync(org, Ct));
    }

    [Fact]
    public async Task The_same_key_with_another_body_answers_422_with_the_error_body_and_creates_nothing()
    {
        var org = await cluster.NewOrgAsync();
        Assert.Equal(201, (await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", "reused"))).Status);

        var other = await ShimCluster.ForkAsync(
            Api, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"node-2"}""", Ct, ("Idempotency-Key", "reused"));

        Assert.Equal(422, other.Status);
        Assert.Contains(Idempotency.Header, (string?)other.Object["error"], StringComparison.Ordinal);
        Assert.False((bool)other.Object["success"]!);
        Assert.Single(await cluster.ForksOfAsync(org, Ct));
        Assert.Null(await cluster.Rest.TryGetAsync<Repository>(Repository.Type, org.Namespace, "node-2", Ct));
    }

    [Fact]
    public async Task The_same_key_in_another_org_is_another_request()
    {
        var a = await cluster.NewOrgAsync();
        var b = await cluster.NewOrgAsync();

        var forA = await ShimCluster.ForkAsync(Api, a.Key, NodeFork, Ct, ("Idempotency-Key", "shared-key"));
        var forB = await ShimCluster.ForkAsync(Api, b.Key, NodeFork, Ct, ("Idempotency-Key", "shared-key"));

        Assert.Equal(201, forA.Status);
        Assert.Equal(201, forB.Status);
        Assert.NotEqual((string?)forA.Object["vm_id"], (string?)forB.Object["vm_id"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\tinside")]
    [InlineData("256")]
    public async Task An_invalid_key_answers_400_and_creates_nothing(string key)
    {
        var org = await cluster.NewOrgAsync();
        var header = key == "256" ? new string('k', 256) : key;

        var answer = await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("Idempotency-Key", header));

        Assert.Equal(400, answer.Status);
        Assert.Contains(Idempotency.Header, (string?)answer.Object["error"], StringComparison.Ordinal);
        Assert.Empty(await cluster.ForksOfAsync(org, Ct));
    }
}
