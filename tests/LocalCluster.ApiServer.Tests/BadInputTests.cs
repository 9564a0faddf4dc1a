using System.Net;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Bad input gets the real server's status code and a metav1.Status body, never a crash or a partial write.</summary>
public sealed class BadInputTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    [Fact]
    public async Task Malformed_protobuf_body_is_400_with_a_status_and_writes_nothing()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await api.PostAsync(ConfigMaps, "k8s\0\n\u0002v1", "application/vnd.kubernetes.protobuf");
        Assert.Equal(HttpStatusCode.BadRequest, r.Code);
        Assert.Equal("Status", r.Str("kind"));
        Assert.Equal("BadRequest", r.Str("reason"));
        Assert.Equal("the object provided is unrecognized (must be of type ConfigMap): proto: illegal wireType 6 (6b3873000a027631)", r.Str("message"));
        Assert.Empty((await api.GetAsync(ConfigMaps)).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Malformed_json_and_yaml_bodies_are_400_and_write_nothing()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var json = await api.PostAsync(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm" """);
        Assert.Equal(HttpStatusCode.BadRequest, json.Code);
        Assert.Equal("BadRequest", json.Str("reason"));
        var notObject = await api.PostAsync(ConfigMaps, "[1,2]");
        Assert.Equal(HttpStatusCode.BadRequest, notObject.Code);
        var yaml = await api.SendAsync(HttpMethod.Patch, "/apis/example.com/v1/namespaces/default/widgets/w1?fieldManager=t", "apiVersion: [unclosed\nkind: Widget", "application/apply-patch+yaml");
        Assert.True(yaml.Code == HttpStatusCode.BadRequest, yaml.Text);
        Assert.Equal("Status", yaml.Str("kind"));
        var patch = await api.PatchAsync(ConfigMaps + "/missing", "{not json");
        Assert.True(patch.Code is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, patch.Text);
        Assert.Empty((await api.GetAsync(ConfigMaps)).Body!["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/apis/example.com/v1/namespaces/default/widgets/w1")).Code);
    }

    [Fact]
    public async Task Unknown_resources_and_groups_are_404_with_a_status_body()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        foreach (var path in new[] { "/api/v1/namespaces/default/gizmos", "/apis/nope.example.com/v1/things", "/apis/apps/v2/deployments" })
        {
            var r = await api.PostAsync(path, """{"apiVersion":"v1","kind":"Gizmo","metadata":{"name":"g"}}""");
            Assert.Equal(HttpStatusCode.NotFound, r.Code);
            Assert.Equal("NotFound", r.Str("reason"));
            Assert.Equal("the server could not find the requested resource", r.Str("message"));
        }
    }

    [Fact]
    public async Task Strategic_merge_patch_on_a_custom_resource_is_415()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await api.PatchAsync("/apis/example.com/v1/namespaces/default/widgets/w1", """{"spec":{"size":2}}""", "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.Code);
        Assert.Equal("UnsupportedMediaType", r.Str("reason"));
        Assert.Equal("1", (await c.GetWidgetAsync("w1")).Str("spec", "size"));
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_string_is_stored_as_the_replacement_character_like_gos_json_decoder_does()
    {
        await using var c = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        byte[] body = [.. "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"},\"data\":{\"k\":\"a"u8, 0xC3, .. "b\"}}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var created = await http.PostAsync(ConfigMaps, content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal("a\uFFFDb", (await api.GetAsync(ConfigMaps + "/cm")).Str("data", "k"));
    }
}
