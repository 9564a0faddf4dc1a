using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Core v1 and events.k8s.io/v1 Events cross-served from one storage.</summary>
public sealed class EventsTests
{
    private const string CoreEvents = "/api/v1/namespaces/default/events";
    private const string V1Events = "/apis/events.k8s.io/v1/namespaces/default/events";

    private static string EventsV1(string name, string regardingUid = "u-1") => $$$"""
        {"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"{{{name}}}"},
         "regarding":{"apiVersion":"example.com/v1","kind":"Widget","name":"w1","namespace":"default","uid":"{{{regardingUid}}}"},
         "note":"Forked the VM","reason":"Forked","type":"Normal","action":"Fork",
         "eventTime":"2026-01-02T03:04:05.123456Z","reportingController":"vers.sh/operator","reportingInstance":"operator-0",
         "series":{"count":3,"lastObservedTime":"2026-01-02T03:05:05.000000Z"}}
        """;

    [Fact]
    public async Task Event_created_through_events_v1_reads_back_as_core_v1_with_mapped_fields()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var created = await api.PostAsync(V1Events, EventsV1("e1"));
        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Equal("events.k8s.io/v1", created.Str("apiVersion"));
        Assert.Equal("w1", created.Str("regarding", "name"));

        var core = await api.GetAsync(CoreEvents + "/e1");
        Assert.Equal(HttpStatusCode.OK, core.Code);
        Assert.Equal("v1", core.Str("apiVersion"));
        Assert.Equal("Widget", core.Str("involvedObject", "kind"));
        Assert.Equal("u-1", core.Str("involvedObject", "uid"));
        Assert.Equal("Forked the VM", core.Str("message"));
        Assert.Equal("vers.sh/operator", core.Str("reportingComponent"));
        Assert.Equal("operator-0", core.Str("reportingInstance"));
        Assert.Equal("2026-01-02T03:04:05.123456Z", core.Str("eventTime"));
        Assert.Equal("3", core.Str("series", "count"));
        Assert.Null(core.Body!["regarding"]);
        Assert.Null(core.Body["note"]);
        Assert.Equal(created.Str("metadata", "uid"), core.Str("metadata", "uid"));
        Assert.Equal(created.Str("metadata", "resourceVersion"), core.Str("metadata", "resourceVersion"));
    }

    [Fact]
    public async Task Core_event_reads_back_through_events_v1_with_deprecated_fields()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var created = await api.PostAsync(CoreEvents, """
            {"apiVersion":"v1","kind":"Event","metadata":{"name":"e2"},
             "involvedObject":{"kind":"ConfigMap","name":"cm","namespace":"default"},
             "message":"hello","reason":"Created","type":"Warning","count":4,
             "firstTimestamp":"2026-01-01T00:00:00Z","lastTimestamp":"2026-01-01T00:10:00Z","source":{"component":"tester"}}
            """);
        Assert.Equal(HttpStatusCode.Created, created.Code);
        var v1 = await api.GetAsync(V1Events + "/e2");
        Assert.Equal("events.k8s.io/v1", v1.Str("apiVersion"));
        Assert.Equal("cm", v1.Str("regarding", "name"));
        Assert.Equal("hello", v1.Str("note"));
        Assert.Equal("4", v1.Str("deprecatedCount"));
        Assert.Equal("2026-01-01T00:00:00Z", v1.Str("deprecatedFirstTimestamp"));
        Assert.Equal("2026-01-01T00:10:00Z", v1.Str("deprecatedLastTimestamp"));
        Assert.Equal("tester", v1.Str("deprecatedSource", "component"));

        var list = await api.GetAsync(V1Events);
        Assert.Equal("EventList", list.Str("kind"));
        Assert.Equal("events.k8s.io/v1", list.Str("apiVersion"));
        Assert.Equal("hello", Assert.Single(list.Body!["items"]!.AsArray())!["note"]!.ToString());
    }

    [Fact]
    public async Task Events_v1_create_requires_eventTime_and_reporting_fields()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await api.PostAsync(V1Events, """{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e3"},"note":"x","reason":"R","type":"Normal"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Code);
        var fields = r.Causes().Where(x => x.Reason == "FieldValueRequired").Select(x => x.Field).Order().ToList();
        Assert.Equal(["action", "eventTime", "reportingController", "reportingInstance"], fields);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(CoreEvents + "/e3")).Code);
    }

    [Fact]
    public async Task Patch_through_events_v1_updates_the_shared_object_and_core_field_selectors_find_it()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(V1Events, EventsV1("e4", "uid-4"))).Code);
        var patched = await api.PatchAsync(V1Events + "/e4", """{"series":{"count":9},"note":"again"}""");
        Assert.Equal(HttpStatusCode.OK, patched.Code);
        Assert.Equal("again", patched.Str("note"));

        var selected = await api.GetAsync(CoreEvents + "?fieldSelector=involvedObject.name%3Dw1,involvedObject.namespace%3Ddefault,involvedObject.kind%3DWidget,involvedObject.uid%3Duid-4");
        var item = Assert.Single(selected.Body!["items"]!.AsArray())!;
        Assert.Equal("again", item["message"]!.ToString());
        Assert.Equal("9", item["series"]!["count"]!.ToString());
        var none = await api.GetAsync(CoreEvents + "?fieldSelector=involvedObject.uid%3Dother");
        Assert.Empty(none.Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Kubectl_get_events_and_describe_show_events_recorded_through_events_v1()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.Cluster.CreateWidgetCrdAsync();
        var widget = await k.Cluster.CreateWidgetAsync("w1", size: 2);
        using var api = new RawApi(k.Cluster.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(V1Events, EventsV1("w1.ev", widget.Str("metadata", "uid")))).Code);

        var table = await k.OkAsync("get", "events", "-n", "default");
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$", lines[0]);
        Assert.Matches(@"\s+Normal\s+Forked\s+widget/w1\s+Forked the VM$", lines[1]);

        var describe = await k.OkAsync("describe", "widget", "w1");
        Assert.Contains("Events:", describe);
        Assert.Matches(@"Normal\s+Forked\s+.*vers.sh/operator.*\s+Forked the VM", describe);
    }

    /// <summary>
    /// kube-apiserver pkg/registry/core/event/storage NewREST: the events store's TTLFunc returns --event-ttl (1 h) on every
    /// create and update, so an Event goes that long after its last write. A second Event written once is the clock's
    /// witness: once it has gone, the expiry has looked at that moment.
    /// </summary>
    [Fact]
    public async Task An_event_expires_an_event_ttl_after_its_last_write()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Time = time });
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(V1Events, EventsV1("renewed"))).Code);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(V1Events, EventsV1("witness"))).Code);

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await api.PatchAsync(V1Events + "/renewed", """{"series":{"count":4,"lastObservedTime":"2026-01-02T03:59:00.000000Z"}}""")).Code);
        time.Advance(TimeSpan.FromMinutes(2));

        await UntilGoneAsync(api, V1Events + "/witness");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(V1Events + "/renewed")).Code);

        time.Advance(TimeSpan.FromMinutes(59));
        await UntilGoneAsync(api, CoreEvents + "/renewed");
    }

    private static async Task UntilGoneAsync(RawApi api, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await api.GetAsync(path)).Code != HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} still exists");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
