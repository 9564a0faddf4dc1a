using Microsoft.Extensions.DependencyInjection;
using Vers.ApiShim.Hosting;
using Vers.Api;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>
/// No garbage from answerable requests: what can be answered before any work creates no RepositoryFork, a failed fork
/// is kept minutes rather than a day, and an org cannot pile up unfinished forks.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ForkGarbageTests(ShimCluster cluster)
{
    private const string NodeFork = """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Api => cluster.Host.ApiAddress;

    [Theory]
    [InlineData("""{"source_org":"nobody","source_repo":"node","source_tag":"latest"}""", 404, "source repository or tag not found: nobody/node:latest")]
    [InlineData("""{"source_org":"vers","source_repo":"no-such","source_tag":"latest"}""", 404, "source repository or tag not found: vers/no-such:latest")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"v999"}""", 404, "source repository or tag not found: vers/node:v999")]
    [InlineData("""{"source_org":"vers","source_repo":"internal","source_tag":"latest"}""", 404, "source repository or tag not found: vers/internal:latest")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":".."}""", 400, "repo_name must not be '..'")]
    public async Task A_request_answered_before_any_work_creates_no_fork(string body, int status, string error)
    {
        var org = await cluster.NewOrgAsync();

        var answer = await ShimCluster.ForkAsync(Api, org.Key, body, Ct, ("X-Idempotency-Key", Guid.NewGuid().ToString()));

        Assert.Equal(status, answer.Status);
        Assert.Equal(error, (string?)answer.Object["error"]);
        Assert.Empty(await cluster.ForksOfAsync(org, Ct));
    }

    [Fact]
    public async Task A_taken_target_answers_409_with_the_operators_words_and_creates_no_fork_however_often_it_is_retried()
    {
        var org = await cluster.NewOrgAsync();
        Assert.Equal(201, (await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct)).Status);
        var before = (await cluster.ForksOfAsync(org, Ct)).Count;

        var answers = new List<ApiAnswer>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            answers.Add(await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct, ("X-Idempotency-Key", "sdk-call-1")));
        }

        Assert.All(answers, a => Assert.Equal(409, a.Status));
        Assert.All(answers, a => Assert.Equal("repository node already exists", (string?)a.Object["error"]));
        Assert.Equal(before, (await cluster.ForksOfAsync(org, Ct)).Count);
    }

    [Fact]
    public async Task Forking_your_own_private_repository_is_not_refused_before_the_work()
    {
        var org = await cluster.NewOrgAsync();
        Assert.Equal(201, (await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"go","source_tag":"latest","repo_name":"mine"}""", Ct)).Status);

        var answer = await ShimCluster.ForkAsync(
            Api, org.Key, $$"""{"source_org":"{{org.Name}}","source_repo":"mine","source_tag":"latest","repo_name":"mine-too"}""", Ct);

        Assert.Equal(201, answer.Status);
    }

    [Fact]
    public async Task A_fork_made_through_the_api_carries_the_fork_ttl_and_the_shorter_failed_fork_ttl()
    {
        var org = await cluster.NewOrgAsync();
        cluster.Simulator.FailNext("DataVolume", org.Namespace);

        Assert.Equal(500, (await ShimCluster.ForkAsync(Api, org.Key, NodeFork, Ct)).Status);

        var failed = Assert.Single(await cluster.ForksOfAsync(org, Ct));
        var defaults = new ApiShimOptions();
        Assert.Equal(ForkPhase.Failed, failed.Status?.Phase);
        Assert.Equal((long)defaults.ForkTtl!.Value.TotalSeconds, failed.Spec.TtlSecondsAfterFinished);
        Assert.Equal(600, failed.Spec.TtlSecondsAfterFailure);
        Assert.True(defaults.FailedForkTtl <= TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task An_org_at_its_cap_of_unfinished_forks_gets_429_with_retry_after_and_no_fork_until_one_finishes()
    {
        var org = await cluster.NewOrgAsync();
        await using var shim = await cluster.StartShimAsync(o => o with { MaxUnfinishedForksPerOrg = 1 }, Ct);
        cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.FromSeconds(2));
        try
        {
            var running = await ShimCluster.ForkAsync(shim.BaseAddress, org.Key, NodeFork, Ct, ("Prefer", "respond-async"), ("Idempotency-Key", "first"));
            Assert.Equal(202, running.Status);
            var cached = shim.Services.GetRequiredService<ResourceInformer<RepositoryFork>>();
            await Eventually.ReachAsync(() => Task.FromResult(cached.Get(org.Namespace, (string)running.Object["id"]!) is not null), Ct);

            var limited = await ShimCluster.ForkAsync(shim.BaseAddress, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"second"}""", Ct);
            var replay = await ShimCluster.ForkAsync(shim.BaseAddress, org.Key, NodeFork, Ct, ("Prefer", "respond-async"), ("Idempotency-Key", "first"));

            Assert.Equal(429, limited.Status);
            Assert.Equal((int)ForkServiceCap.TotalSeconds, (int)limited.Response.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
            Assert.Equal($"organisation {org.Name} has 1 forks in progress, the most it may have at once; retry after 10 s", (string?)limited.Object["error"]);
            Assert.False((bool)limited.Object["success"]!);
            Assert.Equal(202, replay.Status);
            Assert.Single(await cluster.ForksOfAsync(org, Ct));
        }
        finally
        {
            cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.Zero);
        }

        var forks = shim.Services.GetRequiredService<ResourceInformer<RepositoryFork>>();
        await Eventually.ReachAsync(() => Task.FromResult(forks.List(org.Namespace).All(f => f.Status?.Phase == ForkPhase.Succeeded)), Ct);
        var after = await ShimCluster.ForkAsync(shim.BaseAddress, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"second"}""", Ct);
        Assert.Equal(201, after.Status);
    }

    private static TimeSpan ForkServiceCap => Vers.ApiShim.Forks.ForkService.CapRetryAfter;
}
