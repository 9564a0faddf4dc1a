using System.Net;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests.Registry;

/// <summary>Valid manifests of the registry tests, changed per test by a JSON merge patch (RFC 7386: null removes).</summary>
internal static class Manifests
{
    public const string Deployments = "/apis/apps/v1/namespaces/default/deployments";

    public const string PodDisruptionBudgets = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";

    public const string NetworkPolicies = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies";

    public const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
         "spec":{"selector":{"matchLabels":{"app":"web"}},
                 "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}
        """;

    public const string PodDisruptionBudget = """
        {"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web"},
         "spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}}
        """;

    public const string NetworkPolicy = """
        {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"web"},
         "spec":{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"],"ingress":[{"ports":[{"port":8080}]}]}}
        """;

    /// <summary><paramref name="manifest"/> with <paramref name="changes"/> merged in.</summary>
    public static string With(string manifest, string changes) => Merge(JsonNode.Parse(manifest)!, JsonNode.Parse(changes))!.ToJsonString();

    /// <summary>Creates the object (with changes) and returns the response.</summary>
    public static Task<RawResponse> CreateAsync(RawApi api, string path, string manifest, string changes = "{}") => api.PostAsync(path, With(manifest, changes));

    /// <summary>Creates the object and asserts it was created.</summary>
    public static async Task<RawResponse> CreatedAsync(RawApi api, string path, string manifest, string changes = "{}")
    {
        var r = await CreateAsync(api, path, manifest, changes);
        Assert.True(r.Code == HttpStatusCode.Created, r.Text);
        return r;
    }

    /// <summary>The message of a 422 answer (asserting the code).</summary>
    public static string Invalid(RawResponse r)
    {
        Assert.True(r.Code == HttpStatusCode.UnprocessableEntity, $"{r.Code}: {r.Text}");
        Assert.Equal("Invalid", r.Str("reason"));
        return r.Str("message")!;
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                var merged = Merge(result[key]?.DeepClone(), value);
                result[key] = merged;
            }
        }

        return result;
    }
}
