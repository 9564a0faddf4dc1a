using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.LocalCluster.Hosting;
using Vers.LocalCluster.KubeVirt;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.ApiShim.Tests.Cluster;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ShimCluster>
{
    public const string Name = "cluster";
}

/// <summary>An answer of the fork API: status, headers and the parsed JSON body.</summary>
public sealed record ApiAnswer(int Status, JsonNode? Body, string Text, HttpResponseMessage Response)
{
    public JsonObject Object => Body as JsonObject ?? throw new InvalidOperationException($"not a JSON object: {Text}");
}

/// <summary>
/// One all-in-one host (embedded API server, KubeVirt simulator, operator, fork API; seeded with org vers)
/// for the shim's cluster-backed tests. Every test makes its own org, so tests do not see each other's
/// forks. All log output of the host is kept, for the check that no key material is ever logged.
/// </summary>
public sealed class ShimCluster : IAsyncLifetime
{
    private readonly ConcurrentBag<string> _issuedKeys = [];

    public LogCapture Logs { get; } = new();

    /// <summary>The KubeVirt simulator's delays, switchable while tests run (restore what you change).</summary>
    public SimulatorOptions Simulator { get; } = new();

    public ILoggerFactory Loggers { get; private set; } = null!;

    public AllInOneHost Host { get; private set; } = null!;

    public KubeRestClient Rest { get; private set; } = null!;

    /// <summary>Every key handed out by this fixture, the dev key included.</summary>
    public IReadOnlyCollection<string> IssuedKeys => _issuedKeys;

    public const string ReleaseNamespace = "vers-system";

    public async ValueTask InitializeAsync()
    {
        Loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        Host = await AllInOneHost.StartAsync(
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                KubeListen = "http://127.0.0.1:0",
                Kubeconfig = null,
                ReleaseNamespace = ReleaseNamespace,
                ForkWaitTimeout = TimeSpan.FromSeconds(30),
                ApiRateLimit = null,
                Simulator = Simulator,
                LoggerFactory = Loggers,
            },
            CancellationToken.None);
        _issuedKeys.Add(Host.DevApiKey);
        Rest = new KubeRestClient(Host.Client);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Loggers.Dispose();
    }

    /// <summary>A new org (labelled namespace) with a key, once the fork API knows both.</summary>
    public async Task<TestOrg> NewOrgAsync(CancellationToken ct)
    {
        var org = $"org-{Guid.NewGuid():N}"[..16];
        await Rest.CreateAsync(
            ResourceType.Namespace,
            null,
            new V1Namespace
            {
                ApiVersion = "v1",
                Kind = "Namespace",
                Metadata = new V1ObjectMeta { Name = org, Labels = new Dictionary<string, string> { [VersGroup.OrgLabel] = org } },
            },
            ct);
        var (key, info) = await ApiKeys.CreateAsync(Host.Client, ReleaseNamespace, org, ct);
        _issuedKeys.Add(key);
        var result = new TestOrg(org, org, key, info.KeyId);
        // Known to the shim once listing the org's repositories works (key Secret and namespace both seen).
        await Eventually.ReachAsync(async () => (await GetAsync(Host.ApiAddress, "api/v1/repositories", key, ct)).Status == 200, ct);
        return result;
    }

    /// <summary>
    /// Starts another fork API on the same cluster, e.g. with a tiny wait limit, or to play a restart; on
    /// <paramref name="client"/> when given (see <see cref="ShimClient"/>).
    /// </summary>
    public Task<ApiShimServer> StartShimAsync(Func<ApiShimOptions, ApiShimOptions> configure, CancellationToken ct, IKubernetes? client = null) =>
        ApiShimServer.StartAsync(
            client ?? Host.Client,
            configure(new ApiShimOptions { Listen = "http://127.0.0.1:0", ReleaseNamespace = ReleaseNamespace, RateLimit = null }),
            Loggers,
            ct);

    /// <summary>A client of the embedded API with the fork API's User-Agent, through <paramref name="handlers"/>.</summary>
    public IKubernetes ShimClient(params DelegatingHandler[] handlers)
    {
        var config = Host.KubeApi.CreateClientConfiguration();
        config.UserAgent = UserAgents.ApiShim;
        return new Kubernetes(config, handlers);
    }

    public static async Task<ApiAnswer> SendAsync(
        Uri baseAddress, HttpMethod method, string path, string? key, string? body, CancellationToken ct, params (string Name, string Value)[] headers)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? json = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            json = JsonNode.Parse(text);
        }

        return new ApiAnswer((int)response.StatusCode, json, text, response);
    }

    public static Task<ApiAnswer> GetAsync(Uri baseAddress, string path, string? key, CancellationToken ct) =>
        SendAsync(baseAddress, HttpMethod.Get, path, key, null, ct);

    public static Task<ApiAnswer> ForkAsync(Uri baseAddress, string key, string body, CancellationToken ct, params (string Name, string Value)[] headers) =>
        SendAsync(baseAddress, HttpMethod.Post, "api/v1/repositories/fork", key, body, ct, headers);

    public async Task<int> VirtualMachinesOfAsync(TestOrg org, CancellationToken ct) =>
        (await Rest.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachine, org.Namespace, ct)).Items.Count;

    public async Task<IReadOnlyList<RepositoryFork>> ForksOfAsync(TestOrg org, CancellationToken ct) =>
        (await Rest.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace, ct)).Items.ToList();
}

public sealed record TestOrg(string Name, string Namespace, string Key, string KeyId);

/// <summary>Polls a condition on observable state until it holds or the deadline passes (never a blind sleep).</summary>
public static class Eventually
{
    public static async Task ReachAsync(Func<Task<bool>> condition, CancellationToken ct, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not reached in time");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }
    }
}
