using Vers.ApiShim.Hosting;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>
/// When the cluster cannot store a fork right now (kube-apiserver answers unreachable storage with 500 ServerTimeout
/// and a retry hint), the fork API says so: 503, Retry-After, Vers' error body, and no fork; once the cluster takes
/// writes again, forks go through.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterUnavailableTests(ShimCluster cluster)
{
    private const string NodeFork = """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_fork_the_cluster_cannot_store_now_answers_503_with_Retry_After_and_creates_nothing()
    {
        var org = await cluster.NewOrgAsync();
        var rule = cluster.Host.KubeApi.Faults.Add(new FaultRule
        {
            Verb = "create", Resource = "repositoryforks", Client = UserAgents.ApiShim, ErrorRate = 1, Kind = FaultKind.ServerTimeout, RetryAfterSeconds = 3,
        });
        ApiAnswer answer;
        try
        {
            answer = await ShimCluster.ForkAsync(cluster.Host.ApiAddress, org.Key, NodeFork, Ct);
        }
        finally
        {
            cluster.Host.KubeApi.Faults.Remove(rule);
        }

        Assert.Equal(503, answer.Status);
        Assert.Equal("3", answer.Response.Headers.RetryAfter?.ToString());
        Assert.Equal(
            "the cluster cannot take this request right now (its API server or storage is unavailable); retry after 3 s",
            (string?)answer.Object["error"]);
        Assert.False((bool)answer.Object["success"]!);
        Assert.Empty(await cluster.ForksOfAsync(org, Ct));
    }

    [Fact]
    public async Task Once_the_cluster_takes_writes_again_the_same_fork_goes_through()
    {
        var org = await cluster.NewOrgAsync();
        var rule = cluster.Host.KubeApi.Faults.Add(new FaultRule
        {
            Verb = "create", Resource = "repositoryforks", Client = UserAgents.ApiShim, ErrorRate = 1, Kind = FaultKind.ServerTimeout,
        });
        var refused = await ShimCluster.ForkAsync(cluster.Host.ApiAddress, org.Key, NodeFork, Ct);
        cluster.Host.KubeApi.Faults.Remove(rule);

        var retried = await ShimCluster.ForkAsync(cluster.Host.ApiAddress, org.Key, NodeFork, Ct);

        Assert.Equal(503, refused.Status);
        Assert.Equal(201, retried.Status);
    }

    [Fact]
    public void Only_an_unavailable_cluster_is_told_as_503()
    {
        var timeout = new Vers.Kube.Client.KubeApiException(
            System.Net.HttpStatusCode.InternalServerError, new k8s.Models.V1Status { Reason = "InternalError", Code = 500 }, "boom");

        Assert.Null(ErrorBodies.RetryAfter(timeout));
        Assert.Equal((500, "internal server error"), ErrorBodies.ForException(timeout));
    }
}
