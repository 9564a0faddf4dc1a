using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.Tests.Protobuf;

/// <summary>
/// kubectl 1.32's typed clients send protobuf (create namespace|secret|configmap|serviceaccount|role, auth can-i): the
/// embedded server decodes it and stores what was asked; the bytes kubectl sent are what the encoder writes.
/// </summary>
public sealed class KubectlProtobufTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[][] Commands =
    [
        ["create", "namespace", "x"],
        ["create", "secret", "generic", "s", "--from-literal=a=b"],
        ["create", "configmap", "c", "--from-literal=k=v"],
        ["create", "serviceaccount", "sa"],
        ["create", "role", "r", "--verb=get", "--resource=secrets"],
        ["auth", "can-i", "get", "pods"],
        ["create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80"],
        ["create", "service", "clusterip", "svc", "--tcp=80:8080"],
        ["create", "rolebinding", "rb", "--role=r", "--user=alice", "--serviceaccount=default:sa"],
        ["create", "clusterrole", "cr", "--verb=get,list", "--resource=secrets"],
        ["create", "clusterrolebinding", "crb", "--clusterrole=cr", "--group=dev"],
        ["create", "poddisruptionbudget", "pdb", "--selector=app=web", "--min-available=1"],
        ["create", "secret", "docker-registry", "d", "--docker-username=u", "--docker-password=p"],
    ];

    private static async Task<JsonObject> GetAsync(KubectlHarness h, params string[] args) =>
        JsonNode.Parse(await h.OkAsync([.. args, "-o", "json"]))!.AsObject();

    [Fact]
    public async Task CreateNamespaceStoresTheNamespace()
    {
        await using var h = await KubectlHarness.StartAsync();
        await h.OkAsync("create", "namespace", "x");
        var ns = await GetAsync(h, "get", "namespace", "x");
        Assert.Equal("x", ns["metadata"]!["name"]!.GetValue<string>());
        Assert.False(ns["metadata"]!.AsObject().ContainsKey("generateName"));
    }

    [Fact]
    public async Task CreateSecretGenericStoresTheBytes()
    {
        await using var h = await KubectlHarness.StartAsync();
        await h.OkAsync("create", "secret", "generic", "s", "--from-literal=a=b");
        var secret = await GetAsync(h, "get", "secret", "s");
        Assert.Equal(Convert.ToBase64String("b"u8), secret["data"]!["a"]!.GetValue<string>());
        Assert.Equal("Opaque", secret["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateConfigMapStoresTheData()
    {
        await using var h = await KubectlHarness.StartAsync();
        await h.OkAsync("create", "configmap", "c", "--from-literal=k=v");
        var cm = await GetAsync(h, "get", "configmap", "c");
        Assert.Equal("v", cm["data"]!["k"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateServiceAccountStoresIt()
    {
        await using var h = await KubectlHarness.StartAsync();
        await h.OkAsync("create", "serviceaccount", "sa");
        var sa = await GetAsync(h, "get", "serviceaccount", "sa");
        Assert.Equal("default", sa["metadata"]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateRoleStoresTheRule()
    {
        await using var h = await KubectlHarness.StartAsync();
        await h.OkAsync("create", "role", "r", "--verb=get", "--resource=secrets");
        var rule = (await GetAsync(h, "get", "role", "r"))["rules"]![0]!;
        Assert.Equal("""{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}""", rule.ToJsonString());
    }

    [Fact]
    public async Task CreateDeploymentStoresThePodTemplate()
    {
        await using var h = await KubectlHarness.StartAsync();
        await h.OkAsync("create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80");
        var spec = (await GetAsync(h, "get", "deployment", "web"))["spec"]!;
        Assert.Equal(2, spec["replicas"]!.GetValue<int>());
        Assert.Equal("nginx", spec["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal(80, spec["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]!.GetValue<int>());
    }

    [Fact]
    public async Task AuthCanIAnswersYes()
    {
        await using var h = await KubectlHarness.StartAsync();
        Assert.Equal("yes", (await h.OkAsync("auth", "can-i", "get", "pods")).Trim());
    }

    [Fact]
    public async Task KubectlSendsProtobufForTheseCommands()
    {
        var recorded = await RecordAsync();
        var kinds = recorded.Select(r => KubeProtobuf.Decode(r.Body)["kind"]!.GetValue<string>()).ToHashSet();
        Assert.Superset(new HashSet<string> { "Namespace", "Secret", "ConfigMap", "ServiceAccount", "Role", "SelfSubjectAccessReview", "Deployment", "Service", "PodDisruptionBudget" }, kinds);
    }

    [Fact]
    public async Task EncodeWritesBackTheBytesKubectlSent()
    {
        foreach (var (_, path, body) in await RecordAsync())
        {
            var decoded = KubeProtobuf.Decode(body);
            Assert.True(body.AsSpan().SequenceEqual(KubeProtobuf.Encode(decoded)), $"{path}: {decoded.ToJsonString()}\nsent    {Convert.ToHexString(body)}\nencoded {Convert.ToHexString(KubeProtobuf.Encode(decoded))}");
        }
    }

    [Fact]
    public async Task MalformedProtobufBodyIsABadRequestStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };
        using var content = new ByteArrayContent([.. "k8s\0"u8, 0x0a, 0x7f, 0x01]);
        content.Headers.TryAddWithoutValidation("Content-Type", KubeProtobuf.MediaType);
        using var response = await http.PostAsync("/api/v1/namespaces", content, Ct);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("BadRequest", status["reason"]!.GetValue<string>());
        Assert.Equal("the object provided is unrecognized (must be of type Namespace): unexpected EOF (6b3873000a7f01)", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ProtobufBodyForACustomResourceIsUnsupportedMediaType()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.CreateWidgetCrdAsync();
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };
        using var content = new ByteArrayContent(KubeProtobuf.Encode(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap" }));
        content.Headers.TryAddWithoutValidation("Content-Type", KubeProtobuf.MediaType);
        using var response = await http.PostAsync("/apis/example.com/v1/namespaces/default/widgets", content, Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateAndDeleteTakeProtobufBodies()
    {
        // What Helm 3's release storage does with its Secrets: create, update (PUT), delete with DeleteOptions, all protobuf.
        await using var cluster = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject body)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(KubeProtobuf.Encode(body)) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", KubeProtobuf.MediaType);
            return await http.SendAsync(request, Ct);
        }

        JsonObject Release(string version, string? resourceVersion = null) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "sh.helm.release.v1.demo.v1", ["resourceVersion"] = resourceVersion, ["labels"] = new JsonObject { ["owner"] = "helm" } },
            ["type"] = "helm.sh/release.v1",
            ["data"] = new JsonObject { ["release"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(version)) },
        };

        const string path = "/api/v1/namespaces/default/secrets";
        using var created = await SendAsync(HttpMethod.Post, path, Release("one"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var rv = JsonNode.Parse(await created.Content.ReadAsStringAsync(Ct))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var updated = await SendAsync(HttpMethod.Put, $"{path}/sh.helm.release.v1.demo.v1", Release("two", rv));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(Convert.ToBase64String("two"u8), JsonNode.Parse(await updated.Content.ReadAsStringAsync(Ct))!["data"]!["release"]!.GetValue<string>());
        using var deleted = await SendAsync(HttpMethod.Delete, $"{path}/sh.helm.release.v1.demo.v1", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "DeleteOptions", ["propagationPolicy"] = "Background" });
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    /// <summary>Runs the commands through a <see cref="RecordingProxy"/> and returns the protobuf bodies kubectl sent.</summary>
    private static async Task<List<(string Method, string Path, byte[] Body)>> RecordAsync()
    {
        await using var h = await KubectlHarness.StartAsync();
        await using var proxy = new RecordingProxy(h.Cluster.Server.BaseAddress, KubeProtobuf.MediaType);
        h.Manifest("kubeconfig", $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: proxy
              cluster:
                server: {proxy.Address.ToString().TrimEnd('/')}
            contexts:
            - name: proxy
              context:
                cluster: proxy
                user: proxy
            users:
            - name: proxy
              user: {"{}"}
            current-context: proxy
            """);
        foreach (var command in Commands)
        {
            await h.OkAsync(command);
        }

        return [.. proxy.Recorded];
    }
}
