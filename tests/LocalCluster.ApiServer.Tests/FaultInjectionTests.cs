using System.Diagnostics;
using System.Net;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Run-time fault injection (<see cref="KubeApiServer.Faults"/>) and request counters (<see cref="KubeApiServer.Requests"/>).</summary>
public sealed class FaultInjectionTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    private static string ConfigMap(string name) => $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"a":"1"}}""";

    [Fact]
    public async Task A_faulted_create_is_500_InternalError_and_writes_nothing()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Faults.Add(new FaultRule { Verb = "create", Resource = "configmaps", ErrorRate = 1 });
        var r = await api.PostAsync(ConfigMaps, ConfigMap("cm"));
        Assert.Equal(HttpStatusCode.InternalServerError, r.Code);
        Assert.Equal("InternalError", r.Str("reason"));
        Assert.Equal("Internal error occurred: injected fault", r.Str("message"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(ConfigMaps + "/cm")).Code);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/v1/namespaces/default/secrets", """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}""")).Code);

        c.Server.Faults.Clear();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(ConfigMaps, ConfigMap("cm"))).Code);
    }

    [Fact]
    public async Task Too_many_requests_carries_Retry_After_and_retryAfterSeconds()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Faults.Add(new FaultRule { Verb = "list", ErrorRate = 1, Kind = FaultKind.TooManyRequests, RetryAfterSeconds = 3 });
        var r = await api.GetAsync(ConfigMaps);
        Assert.Equal(HttpStatusCode.TooManyRequests, r.Code);
        Assert.Equal("TooManyRequests", r.Str("reason"));
        Assert.Equal("3", r.Str("details", "retryAfterSeconds"));
        Assert.Equal(TimeSpan.FromSeconds(3), r.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Injected_conflict_is_409_Conflict_and_the_object_is_unchanged()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var created = await api.PostAsync(ConfigMaps, ConfigMap("cm"));
        c.Server.Faults.Add(new FaultRule { Verb = "patch", ErrorRate = 1, Kind = FaultKind.Conflict });
        var r = await api.PatchAsync(ConfigMaps + "/cm", """{"data":{"a":"2"}}""");
        Assert.Equal(HttpStatusCode.Conflict, r.Code);
        Assert.Equal("Conflict", r.Str("reason"));
        Assert.Equal("Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again", r.Str("message"));
        var after = await api.GetAsync(ConfigMaps + "/cm");
        Assert.Equal(created.Str("metadata", "resourceVersion"), after.Str("metadata", "resourceVersion"));
    }

    [Fact]
    public async Task Faults_can_target_one_client_by_user_agent_or_header()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Faults.Add(new FaultRule { Client = "vers-operator/", ErrorRate = 1 });
        c.Server.Faults.Add(new FaultRule { Header = "X-Fault=yes", ErrorRate = 1, Kind = FaultKind.TooManyRequests });
        Assert.Equal(HttpStatusCode.InternalServerError, (await api.GetAsync(ConfigMaps, userAgent: "vers-operator/1.0")).Code);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(ConfigMaps, userAgent: "kubectl/v1.32.4")).Code);
        var byHeader = await api.SendAsync(HttpMethod.Get, ConfigMaps, null, null, headers: new Dictionary<string, string> { ["X-Fault"] = "yes" });
        Assert.Equal(HttpStatusCode.TooManyRequests, byHeader.Code);
        var otherHeader = await api.SendAsync(HttpMethod.Get, ConfigMaps, null, null, headers: new Dictionary<string, string> { ["X-Fault"] = "no" });
        Assert.Equal(HttpStatusCode.OK, otherHeader.Code);
    }

    [Fact]
    public async Task Error_rates_follow_the_seed_reproducibly()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { FaultSeed = 42 });
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Faults.Add(new FaultRule { Verb = "list", ErrorRate = 0.5 });
        async Task<string> PatternAsync()
        {
            var codes = new List<char>();
            for (var i = 0; i < 24; i++)
            {
                codes.Add((await api.GetAsync(ConfigMaps)).Code == HttpStatusCode.OK ? '.' : 'x');
            }

            return new string([.. codes]);
        }

        var first = await PatternAsync();
        c.Server.Faults.Reseed(42);
        Assert.Equal(first, await PatternAsync());
        Assert.Contains('x', first);
        Assert.Contains('.', first);
    }

    [Fact]
    public async Task Added_latency_delays_matching_requests()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Faults.Add(new FaultRule { Verb = "get", Latency = TimeSpan.FromMilliseconds(300) });
        await api.PostAsync(ConfigMaps, ConfigMap("cm"));
        var watch = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(ConfigMaps + "/cm")).Code);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Dropping_watches_ends_open_streams_cleanly()
    {
        await using var c = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        var ct = TestContext.Current.CancellationToken;
        await using var stream = await http.GetStreamAsync(ConfigMaps + "?watch=true&allowWatchBookmarks=true", ct);
        using var reader = new StreamReader(stream);
        Assert.Contains("BOOKMARK", await reader.ReadLineAsync(ct));
        c.Server.Faults.DropWatches();
        Assert.Null(await reader.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct));
    }

    [Fact]
    public async Task Watches_can_be_dropped_periodically()
    {
        await using var c = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        var ct = TestContext.Current.CancellationToken;
        c.Server.Faults.DropWatchesEvery(TimeSpan.FromMilliseconds(200));
        for (var i = 0; i < 2; i++)
        {
            await using var stream = await http.GetStreamAsync(ConfigMaps + "?watch=true&allowWatchBookmarks=true", ct);
            using var reader = new StreamReader(stream);
            Assert.Contains("BOOKMARK", await reader.ReadLineAsync(ct));
            Assert.Null(await reader.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct));
        }

        c.Server.Faults.DropWatchesEvery(null);
    }

    [Fact]
    public async Task Request_counters_count_by_verb_resource_and_client_and_reset()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Requests.Reset();
        await api.PostAsync(ConfigMaps, ConfigMap("cm"), userAgent: "tool-a/1");
        await api.GetAsync(ConfigMaps + "/cm", userAgent: "tool-a/1");
        await api.GetAsync(ConfigMaps + "/cm", userAgent: "tool-b/1");
        await api.GetAsync(ConfigMaps, userAgent: "tool-b/1");
        await api.PatchAsync(ConfigMaps + "/cm", """{"data":{"b":"2"}}""");
        await api.DeleteAsync(ConfigMaps + "/cm");
        c.Server.Faults.Add(new FaultRule { Verb = "get", ErrorRate = 1 });
        await api.GetAsync(ConfigMaps + "/cm", userAgent: "tool-a/1");

        var r = c.Server.Requests;
        Assert.Equal(1, r.Count("create", "configmaps"));
        Assert.Equal(3, r.Count("get", "configmaps"));
        Assert.Equal(2, r.Count("get", client: "tool-a/"));
        Assert.Equal(1, r.Count("list", "configmaps", "tool-b/"));
        Assert.Equal(1, r.Count("patch"));
        Assert.Equal(1, r.Count("delete"));
        Assert.Equal(7, r.Count());
        Assert.Equal(2, r.Snapshot()[new RequestKey("get", "configmaps", "tool-a/1")]);
        r.Reset();
        Assert.Equal(0, r.Count());
    }
}
