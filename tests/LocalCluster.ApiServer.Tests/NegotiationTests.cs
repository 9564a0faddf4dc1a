using System.Net.Http.Headers;
using System.Text.Json;

namespace Vers.LocalCluster.ApiServer.Tests;

public sealed class NegotiationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(string ContentType, JsonElement Body)> GetAsync(TestCluster c, string path, string accept)
    {
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await http.SendAsync(request, Ct);
        response.EnsureSuccessStatusCode();
        return (response.Content.Headers.ContentType!.ToString().Replace(" ", "", StringComparison.Ordinal), JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    [Fact]
    public async Task Aggregated_discovery_is_served_only_for_the_exact_requested_version()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var (v2Type, v2) = await GetAsync(c, "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", v2Type);
        var group = v2.GetProperty("items").EnumerateArray().Single(i => i.Str("metadata", "name") == "example.com");
        var widgets = group.GetProperty("versions")[0].GetProperty("resources").EnumerateArray().Single(r => r.Str("resource") == "widgets");
        Assert.Equal("Widget", widgets.Str("responseKind", "kind"));
        Assert.Equal("status", widgets.GetProperty("subresources")[0].Str("subresource"));

        var (betaType, _) = await GetAsync(c, "/api", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
        Assert.Contains("v=v2beta1", betaType);
        var (plainType, plain) = await GetAsync(c, "/apis", "application/json");
        Assert.StartsWith("application/json", plainType);
        Assert.Equal("APIGroupList", plain.Str("kind"));
    }

    [Fact]
    public async Task Table_for_namespaces_uses_builtin_printer_and_includeObject()
    {
        await using var c = await TestCluster.StartAsync();
        var (type, table) = await GetAsync(c, "/api/v1/namespaces?includeObject=Object", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        Assert.Equal("application/json;as=Table;v=v1;g=meta.k8s.io", type);
        Assert.Equal(["Name", "Status", "Age"], table.GetProperty("columnDefinitions").EnumerateArray().Select(d => d.Str("name")));
        var row = table.GetProperty("rows").EnumerateArray().First(r => r.GetProperty("cells")[0].GetString() == "default");
        Assert.Equal("Active", row.GetProperty("cells")[1].GetString());
        Assert.Matches(@"^\d+s$", row.GetProperty("cells")[2].GetString()!);
        Assert.Equal("Namespace", row.Str("object", "kind"));

        var (_, meta) = await GetAsync(c, "/api/v1/namespaces/default", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal("PartialObjectMetadata", meta.GetProperty("rows")[0].Str("object", "kind"));
    }

    [Fact]
    public async Task Openapi_v3_index_lists_crd_group_version_with_fieldValidation_patch()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var (_, index) = await GetAsync(c, "/openapi/v3", "application/json");
        var url = index.GetProperty("paths").GetProperty("apis/example.com/v1").Str("serverRelativeURL");
        Assert.Contains("?hash=", url);
        var (_, doc) = await GetAsync(c, url, "application/json");
        var patch = doc.GetProperty("paths").GetProperty("/apis/example.com/v1/namespaces/{namespace}/widgets/{name}").GetProperty("patch");
        Assert.Equal("Widget", patch.Str("x-kubernetes-group-version-kind", "kind"));
        Assert.Contains(patch.GetProperty("parameters").EnumerateArray(), p => p.Str("name") == "fieldValidation");
        Assert.True(doc.GetProperty("components").GetProperty("schemas").TryGetProperty("com.example.v1.Widget", out _));
    }
}
