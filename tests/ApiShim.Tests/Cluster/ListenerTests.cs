using Vers.ApiShim.Hosting;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>/metrics on a listener of its own, and the per-address limit on requests without a valid key.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ListenerTests(ShimCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_a_metrics_listener_metrics_are_served_there_and_not_on_the_api_port()
    {
        await using var shim = await cluster.StartShimAsync(o => o with { MetricsListen = "http://127.0.0.1:0" }, Ct);

        var onMetrics = await ShimCluster.GetAsync(shim.MetricsAddress, "metrics", null, Ct);
        var onApi = await ShimCluster.GetAsync(shim.BaseAddress, "metrics", null, Ct);
        var elsewhere = await ShimCluster.GetAsync(shim.MetricsAddress, "api/v1/public/repositories", null, Ct);

        Assert.NotEqual(shim.BaseAddress, shim.MetricsAddress);
        Assert.Equal(200, onMetrics.Status);
        Assert.Contains("vers_informer_events_total", onMetrics.Text, StringComparison.Ordinal);
        Assert.Equal(404, onApi.Status);
        Assert.Equal("no such endpoint: GET /metrics", (string?)onApi.Object["error"]);
        Assert.Equal(404, elsewhere.Status);
        Assert.False((bool)elsewhere.Object["success"]!);
    }

    [Fact]
    public async Task Requests_without_a_valid_key_are_limited_per_address_with_429_retry_after_and_the_error_body()
    {
        var org = await cluster.NewOrgAsync();
        await using var shim = await cluster.StartShimAsync(
            o => o with { UnauthenticatedRateLimit = new OrgRateLimit { Burst = 2, TokensPerPeriod = 1, Period = TimeSpan.FromHours(1) } }, Ct);

        var first = await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/public/repositories", null, Ct);
        var refusedKey = await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/repositories", "not-a-key-but-long-enough-0123", Ct);
        var limited = await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/public/repositories", null, Ct);
        var probe = await ShimCluster.GetAsync(shim.BaseAddress, "readyz", null, Ct);
        var withKey = await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/public/repositories", org.Key, Ct);

        Assert.Equal(200, first.Status);
        Assert.Equal(401, refusedKey.Status);
        Assert.Equal(429, limited.Status);
        Assert.StartsWith("too many requests without a valid API key from 127.0.0.1; retry after ", (string?)limited.Object["error"], StringComparison.Ordinal);
        Assert.False((bool)limited.Object["success"]!);
        Assert.InRange(limited.Response.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Assert.Equal(200, probe.Status);
        Assert.Equal(200, withKey.Status);
    }
}
