using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Kube.Client;

[assembly: AssemblyFixture(typeof(Vers.EndToEnd.Tests.AllInOneFixture))]

// One shared cluster: tests that assert "nothing was created" must not see other tests' forks appear meanwhile.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Vers.EndToEnd.Tests;

/// <summary>
/// One all-in-one host (embedded Kubernetes API, KubeVirt/CDI simulator, operator, fork API, demo
/// data) on free loopback ports, shared by the end-to-end tests. Tests use distinct repository names.
/// </summary>
public sealed class AllInOneFixture : IAsyncLifetime
{
    public const string DevApiKey = "e2e-dev-key-0123456789abcdef";

    private readonly string _workDir = Directory.CreateTempSubdirectory("vers-e2e-").FullName;

    public AllInOneHost Host { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IKubernetes Kube => Host.Client;

    public KubeRestClient Rest { get; private set; } = null!;

    public string KubeconfigPath => Path.Combine(_workDir, "kubeconfig");

    public string KubectlCacheDir => Path.Combine(_workDir, "kubectl-cache");

    public async ValueTask InitializeAsync()
    {
        Host = await AllInOneHost.StartAsync(
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                KubeListen = "http://127.0.0.1:0",
                Kubeconfig = KubeconfigPath,
                DevApiKey = DevApiKey,
                ForkWaitTimeout = TimeSpan.FromSeconds(30),
            },
            CancellationToken.None);
        Http = new HttpClient { BaseAddress = Host.ApiAddress, Timeout = TimeSpan.FromSeconds(60) };
        Rest = new KubeRestClient(Host.Client);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>POSTs a fork request with the dev key (or <paramref name="apiKey"/>; "" sends none).</summary>
    public async Task<(int Status, JsonObject? Body, HttpResponseMessage Response)> ForkAsync(object body, string? apiKey = DevApiKey)
    {
        var content = body as string ?? System.Text.Json.JsonSerializer.Serialize(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/repositories/fork")
        {
            Content = new StringContent(content, Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null, response);
    }

    public async Task<int> CountForksAsync(string ns = "dev")
    {
        var list = await Rest.ListAsync<RepositoryFork>(RepositoryFork.Type, ns, TestContext.Current.CancellationToken);
        return list.Items.Count;
    }
}
