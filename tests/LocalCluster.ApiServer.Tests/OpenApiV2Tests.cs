using System.Net;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// /openapi/v2: what kubectl and Helm fetch (as gnostic protobuf) to validate manifests the server cannot validate for
/// them (a <c>kind: List</c>), consistent with the v3 documents, served as kube-openapi's handler serves it.
/// </summary>
public sealed class OpenApiV2Tests
{
    private const string Protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

    private const string ListOfConfigMapAndNamespace = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: listed
            namespace: default
          data:
            a: b
        - apiVersion: v1
          kind: Namespace
          metadata:
            name: listed-ns
        """;

    private static Dictionary<string, string> Accept(string value) => new() { ["Accept"] = value };

    [Fact]
    public async Task Kubectl_applies_a_List_of_a_ConfigMap_and_a_Namespace()
    {
        await using var k = await KubectlHarness.StartAsync();
        var output = await k.OkInAsync(ListOfConfigMapAndNamespace, "apply", "-f", "-");
        Assert.Contains("configmap/listed created", output);
        Assert.Contains("namespace/listed-ns created", output);
        Assert.Contains("b", await k.OkAsync("get", "configmap", "listed", "-o", "jsonpath={.data.a}"));
    }

    [Fact]
    public async Task Kubectl_rejects_an_unknown_field_in_a_List_item_against_the_v2_definition()
    {
        await using var k = await KubectlHarness.StartAsync();
        var bad = ListOfConfigMapAndNamespace.Replace("  data:\n    a: b", "  bogus: 1\n  data:\n    a: b", StringComparison.Ordinal);
        var stderr = await k.FailsAsync(bad, "apply", "-f", "-");
        Assert.Contains("error validating data: ValidationError(ConfigMap): unknown field \"bogus\" in io.k8s.api.core.v1.ConfigMap", stderr);
    }

    [Fact]
    public async Task Kubectl_accepts_a_List_item_of_a_kind_whose_fields_the_server_does_not_model()
    {
        await using var k = await KubectlHarness.StartAsync();
        const string list = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: rbac.authorization.k8s.io/v1
              kind: Role
              metadata: {name: reader, namespace: default}
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """;
        Assert.Contains("role.rbac.authorization.k8s.io/reader created", await k.OkInAsync(list, "apply", "-f", "-"));
    }

    [Fact]
    public async Task Kubectl_explain_over_openapi_v2_shows_a_crds_fields()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.Cluster.CreateWidgetCrdAsync();
        var output = await k.OkAsync("explain", "widgets.spec", "--output=plaintext-openapiv2");
        Assert.Contains("Desired state of the widget.", output);
        Assert.Contains("size\t<integer>", output);
    }

    [Fact]
    public async Task Openapi_v2_has_the_v3_definitions_and_each_v3_patch_operation_with_its_parameters()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var v2 = (await api.GetAsync("/openapi/v2")).Body!;
        foreach (var (_, entry) in (await api.GetAsync("/openapi/v3")).Body!["paths"]!.AsObject())
        {
            var v3 = (await api.GetAsync(entry!["serverRelativeURL"]!.ToString())).Body!;
            foreach (var (name, _) in v3["components"]!["schemas"]!.AsObject())
            {
                Assert.True(v2["definitions"]!.AsObject().ContainsKey(name), $"definition {name} is missing from /openapi/v2");
            }

            foreach (var (path, item) in v3["paths"]!.AsObject())
            {
                foreach (var method in (string[])["get", "put", "patch", "delete", "post"])
                {
                    if (item![method] is not JsonObject op3)
                    {
                        continue;
                    }

                    var op2 = v2["paths"]![path]?[method] ?? throw new Xunit.Sdk.XunitException($"{method} {path} is missing from /openapi/v2");
                    Assert.Equal(op3["x-kubernetes-group-version-kind"]!.ToJsonString(), op2["x-kubernetes-group-version-kind"]!.ToJsonString());
                    Assert.Equal(
                        op3["parameters"]!.AsArray().Select(p => $"{p!["in"]}:{p["name"]}"),
                        op2["parameters"]!.AsArray().Where(p => p!["in"]!.ToString() != "body").Select(p => $"{p!["in"]}:{p["name"]}"));
                }
            }
        }

        var patch = v2["paths"]!["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]!["patch"]!;
        Assert.Equal("Widget", patch["x-kubernetes-group-version-kind"]!["kind"]!.ToString());
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.ToString() == "fieldValidation" && p["in"]!.ToString() == "query");
    }

    [Fact]
    public async Task Openapi_v2_protobuf_carries_the_etag_of_the_json_and_a_matching_If_None_Match_is_304()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var json = await api.SendAsync(HttpMethod.Get, "/openapi/v2", null, null, headers: Accept("application/json"));
        var proto = await api.SendAsync(HttpMethod.Get, "/openapi/v2", null, null, headers: Accept(Protobuf));
        Assert.Equal(HttpStatusCode.OK, proto.Code);
        Assert.Equal(json.Headers.ETag, proto.Headers.ETag);
        Assert.Contains("Accept", proto.Headers.Vary);

        var again = await api.SendAsync(HttpMethod.Get, "/openapi/v2", null, null, headers: new Dictionary<string, string> { ["Accept"] = Protobuf, ["If-None-Match"] = proto.Headers.ETag!.Tag });
        Assert.Equal(HttpStatusCode.NotModified, again.Code);
        Assert.Empty(again.Text);
    }

    [Fact]
    public async Task Openapi_v2_is_served_as_protobuf_with_its_content_type()
    {
        await using var c = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        request.Headers.TryAddWithoutValidation("Accept", Protobuf);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal("application/com.github.proto-openapi.spec.v2.v1.0+protobuf", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        // Document.swagger (field 1, length-delimited) = "2.0".
        Assert.Equal(new byte[] { 0x0a, 0x03, (byte)'2', (byte)'.', (byte)'0' }, bytes[..5]);
    }

    [Fact]
    public async Task Openapi_v2_is_406_with_an_empty_body_for_an_accept_header_it_cannot_serve()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var response = await api.SendAsync(HttpMethod.Get, "/openapi/v2", null, null, headers: Accept("text/html"));
        Assert.Equal(HttpStatusCode.NotAcceptable, response.Code);
        Assert.Empty(response.Text);
    }

    [Fact]
    public async Task Openapi_v3_group_version_document_answers_304_to_its_etag()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var first = await api.GetAsync("/openapi/v3/api/v1");
        var again = await api.SendAsync(HttpMethod.Get, "/openapi/v3/api/v1", null, null, headers: new Dictionary<string, string> { ["If-None-Match"] = first.Headers.ETag!.Tag });
        Assert.Equal(HttpStatusCode.NotModified, again.Code);
    }
}
