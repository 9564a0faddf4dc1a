using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>A fresh API server on a free port plus a client, with the Widget CRD helpers the tests share.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const string Group = "example.com";
    public const string Version = "v1";
    public const string Plural = "widgets";

    private TestCluster(KubeApiServer server)
    {
        Server = server;
        Client = server.CreateClient();
    }

    public KubeApiServer Server { get; }

    public IKubernetes Client { get; }

    public static async Task<TestCluster> StartAsync(KubeApiServerOptions? options = null)
    {
        var server = await KubeApiServer.StartAsync((options ?? new KubeApiServerOptions()) with { Url = "http://127.0.0.1:0" }, TestContext.Current.CancellationToken);
        return new TestCluster(server);
    }

    public const string WidgetCrdJson = """
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": { "name": "widgets.example.com" },
          "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": { "plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"], "categories": ["all"] },
            "versions": [{
              "name": "v1", "served": true, "storage": true,
              "subresources": { "status": {} },
              "additionalPrinterColumns": [
                { "name": "Size", "type": "integer", "jsonPath": ".spec.size" },
                { "name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status" },
                { "name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp" }
              ],
              "schema": { "openAPIV3Schema": {
                "type": "object",
                "description": "Widget is a test resource.",
                "properties": {
                  "spec": { "type": "object", "description": "Desired state of the widget.", "properties": {
                    "size": { "type": "integer", "description": "Size of the widget in furlongs." },
                    "color": { "type": "string", "enum": ["red", "blue"] } } },
                  "status": { "type": "object", "x-kubernetes-preserve-unknown-fields": true }
                }
              } }
            }]
          }
        }
        """;

    public async Task<V1CustomResourceDefinition> CreateWidgetCrdAsync()
    {
        var crd = KubernetesJson.Deserialize<V1CustomResourceDefinition>(WidgetCrdJson);
        return await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: TestContext.Current.CancellationToken);
    }

    public static Dictionary<string, object?> Widget(string name, int size = 1, string ns = "default", Dictionary<string, string>? labels = null) => new()
    {
        ["apiVersion"] = "example.com/v1",
        ["kind"] = "Widget",
        ["metadata"] = new Dictionary<string, object?> { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
        ["spec"] = new Dictionary<string, object?> { ["size"] = size },
    };

    public async Task<JsonElement> CreateWidgetAsync(string name, int size = 1, string ns = "default", Dictionary<string, string>? labels = null) =>
        (JsonElement)await Client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget(name, size, ns, labels), Group, Version, ns, Plural, cancellationToken: TestContext.Current.CancellationToken);

    public async Task<JsonElement> GetWidgetAsync(string name, string ns = "default") =>
        (JsonElement)await Client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, name, TestContext.Current.CancellationToken);

    public static async Task<HttpOperationException> FailsAsync(Func<Task> action, HttpStatusCode code)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(action);
        Assert.Equal(code, e.Response.StatusCode);
        return e;
    }

    public static V1Status StatusOf(HttpOperationException e) => KubernetesJson.Deserialize<V1Status>(e.Response.Content);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

internal static class JsonElementExtensions
{
    public static string Str(this JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            e = e.GetProperty(p);
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
    }

    public static bool Has(this JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return false;
            }
        }

        return true;
    }
}
