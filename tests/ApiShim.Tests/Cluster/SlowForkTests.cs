using Vers.ApiShim.Forks;
using Vers.Api;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>
/// Forks slower than a client's patience: a request sent again with the same idempotency key waits for the same fork
/// again, so a client that gives up and retries gets the 201 once the fork is done (see also the Go SDK tests in
/// tests/EndToEnd.Tests, which time out on the client side).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SlowForkTests(ShimCluster cluster)
{
    private const string NodeFork = """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_retry_after_the_wait_ran_out_waits_for_the_same_fork_and_gets_its_201()
    {
        var org = await cluster.NewOrgAsync();
        await using var shim = await cluster.StartShimAsync(o => o with { WaitTimeout = TimeSpan.FromMilliseconds(400) }, Ct);
        cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.FromSeconds(1));
        try
        {
            var answers = new List<ApiAnswer>();
            do
            {
                answers.Add(await ShimCluster.ForkAsync(shim.BaseAddress, org.Key, NodeFork, Ct, ("X-Idempotency-Key", "slow-1")));
            }
            while (answers[^1].Status == 500 && answers.Count < 20);

            Assert.True(answers.Count > 1, "the fork outlasted the first wait");
            var fork = Assert.Single(await cluster.ForksOfAsync(org, Ct));
            Assert.All(answers[..^1], a =>
            {
                Assert.Equal(500, a.Status);
                Assert.Equal(ForkService.OperationPath(fork.Metadata.Name), a.Response.Headers.Location?.ToString());
                Assert.EndsWith("or send the request again with the same idempotency key to wait for it", (string?)a.Object["error"], StringComparison.Ordinal);
            });
            Assert.Equal(201, answers[^1].Status);
            Assert.Equal("node:latest", (string?)answers[^1].Object["reference"]);
            Assert.Equal(1, await cluster.VirtualMachinesOfAsync(org, Ct));
        }
        finally
        {
            cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task A_client_that_hangs_up_leaves_the_fork_running_and_its_retry_gets_the_201()
    {
        var org = await cluster.NewOrgAsync();
        cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.FromSeconds(1));
        try
        {
            using (var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(
                    () => ShimCluster.ForkAsync(cluster.Host.ApiAddress, org.Key, NodeFork, impatient.Token, ("X-Idempotency-Key", "hung-up")));
            }

            var running = Assert.Single(await cluster.ForksOfAsync(org, Ct));
            Assert.NotEqual(ForkPhase.Succeeded, running.Status?.Phase);

            var retry = await ShimCluster.ForkAsync(cluster.Host.ApiAddress, org.Key, NodeFork, Ct, ("X-Idempotency-Key", "hung-up"));

            Assert.Equal(201, retry.Status);
            Assert.Single(await cluster.ForksOfAsync(org, Ct));
            Assert.DoesNotContain(cluster.Logs.Lines, l => l.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase) && l.Contains("fork", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            cluster.Simulator.SetDelay("VirtualMachineSnapshot", TimeSpan.Zero);
        }
    }
}
