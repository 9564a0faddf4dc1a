using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.ApiShim.Auth;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.LocalCluster.KubeVirt;
using Vers.LocalCluster.Seeding;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Operator.Hosting;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.LeaderElection;

namespace Vers.Reliability.Tests.Support;

/// <summary>An answer of the fork API: status, headers and the parsed JSON body (null when not JSON).</summary>
public sealed record ApiAnswer(int Status, JsonNode? Body, string Text, HttpResponseMessage Response)
{
    public JsonObject Object => Body as JsonObject ?? throw new InvalidOperationException($"not a JSON object ({Status}): {Text}");
}

/// <summary>An organisation made by a test: its name (= namespace) and, when it has one, its API key.</summary>
public sealed record TestOrg(string Name, string? Key, string? KeyId)
{
    public string Namespace => Name;
}

/// <summary>
/// The all-in-one host (embedded Kubernetes API, KubeVirt/CDI simulator, optionally the operator, the fork API;
/// seeded with org vers: public node, python, rust, go, private internal) on free loopback ports, logging into
/// <see cref="SuiteLogs"/>. Helpers make orgs and keys, forks (by HTTP or as RepositoryFork objects), extra operator
/// instances, and inventories of what exists.
/// </summary>
public sealed class ReliabilityHost : IAsyncDisposable
{
    public const string ReleaseNamespace = "vers-system";
    public const string SourceOrg = "vers";

    private ReliabilityHost(AllInOneHost host, SimulatorOptions simulator)
    {
        Host = host;
        Simulator = simulator;
        Rest = new KubeRestClient(host.Client);
        Inventory = new ClusterInventory(host.KubeApi.BaseAddress);
    }

    public AllInOneHost Host { get; }

    public SimulatorOptions Simulator { get; }

    public KubeRestClient Rest { get; }

    public IKubernetes Client => Host.Client;

    public KubeApiServer KubeApi => Host.KubeApi;

    public Uri Api => Host.ApiAddress;

    public ClusterInventory Inventory { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<ReliabilityHost> StartAsync(Func<AllInOneOptions, AllInOneOptions>? configure = null, CancellationToken ct = default)
    {
        var simulator = new SimulatorOptions();
        var options = new AllInOneOptions
        {
            Listen = "http://127.0.0.1:0",
            KubeListen = "http://127.0.0.1:0",
            Kubeconfig = null,
            ReleaseNamespace = ReleaseNamespace,
            ForkWaitTimeout = TimeSpan.FromSeconds(30),
            ApiRateLimit = null,
            Simulator = simulator,
            LoggerFactory = SuiteLogs.Loggers,
        };
        options = configure?.Invoke(options) ?? options;
        var host = await AllInOneHost.StartAsync(options, ct);
        SuiteLogs.RegisterKey(host.DevApiKey);
        return new ReliabilityHost(host, options.Simulator);
    }

    /// <summary>A client of the embedded API with the operator's User-Agent, through <paramref name="handlers"/>.</summary>
    public IKubernetes OperatorClient(params DelegatingHandler[] handlers)
    {
        var config = KubeApi.CreateClientConfiguration();
        config.UserAgent = UserAgents.Operator;
        return new Kubernetes(config, handlers);
    }

    /// <summary>A new operator instance (not started) on <paramref name="client"/> (default: the operator's own client).</summary>
    public VersOperator NewOperator(
        string identity, IKubernetes? client = null, ForkOptions? forks = null, LeaderElectionOptions? leaderElection = null, int workers = 4) =>
        new(client ?? OperatorClient(), SuiteLogs.Loggers, new VersOperatorOptions
        {
            Identity = identity,
            Forks = forks ?? new ForkOptions(),
            LeaderElection = leaderElection,
            Workers = workers,
        });

    /// <summary>An org (labelled namespace); with a key, once the fork API accepts it.</summary>
    public async Task<TestOrg> NewOrgAsync(string name, bool withKey = true)
    {
        await new RepositoryPublisher(Client).EnsureOrgAsync(name, Ct);
        if (!withKey)
        {
            return new TestOrg(name, null, null);
        }

        var (key, info) = await ApiKeys.CreateAsync(Client, ReleaseNamespace, name, Ct);
        SuiteLogs.RegisterKey(key);
        await Eventually.ReachAsync(async () => (await GetAsync("api/v1/repositories", key)).Status == 200, TimeSpan.FromSeconds(10));
        return new TestOrg(name, key, info.KeyId);
    }

    /// <summary>Publishes org/repo:latest in the org's namespace (VM, ready snapshot, Commit, Tag, Repository).</summary>
    public Task<string> PublishAsync(string org, string repo, Visibility visibility = Visibility.Public) =>
        new RepositoryPublisher(Client).PublishAsync(org, org, repo, "latest", visibility, Ct);

    /// <summary>A fork as kubectl would create it: no finalizer, no status.</summary>
    public Task<RepositoryFork> CreateForkAsync(string ns, string name, string sourceOrg, string sourceRepo, string? repoName = null, string? tagName = null) =>
        Rest.CreateAsync(RepositoryFork.Type, ns, new RepositoryFork
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new RepositoryForkSpec { SourceOrg = sourceOrg, SourceRepo = sourceRepo, SourceTag = "latest", RepoName = repoName, TagName = tagName },
        }, Ct);

    /// <summary>Waits until the fork is Succeeded or Failed and no finalizer is left (the operator let go of it).</summary>
    public Task<RepositoryFork> FinishedAsync(string ns, string name, TimeSpan? within = null) =>
        Rest.UntilAsync<RepositoryFork>(
            RepositoryFork.Type, ns, name, IsFinished, within ?? TimeSpan.FromSeconds(30), Ct);

    public static bool IsFinished(RepositoryFork f) =>
        f.Status?.Phase is ForkPhase.Succeeded or ForkPhase.Failed && f.Metadata.Finalizers is null or { Count: 0 };

    public async Task<List<T>> ListAsync<T>(ResourceType type, string? ns, string? labelSelector = null)
        where T : IKubernetesObject =>
        [.. (await Rest.ListAsync<T>(type, ns, Ct, labelSelector: labelSelector)).Items];

    public Task<ApiAnswer> ForkAsync(string key, string body, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Post, "api/v1/repositories/fork", key, body, headers);

    public Task<ApiAnswer> GetAsync(string path, string? key) => SendAsync(HttpMethod.Get, path, key, null);

    private static readonly HttpClient Http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { Timeout = TimeSpan.FromSeconds(120) };

    public async Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? key, string? body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, new Uri(Api, path));
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

        var response = await Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        JsonNode? json = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            json = JsonNode.Parse(text);
        }

        return new ApiAnswer((int)response.StatusCode, json, text, response);
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Polls observable state until a condition holds or the deadline passes (never a blind sleep).</summary>
public static class Eventually
{
    public static async Task ReachAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not reached within {within}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>One seeded host with the operator, shared by the tests of a class (which run one after another).</summary>
public sealed class SharedHost : IAsyncLifetime
{
    private ReliabilityHost? _host;

    public ReliabilityHost Host => _host ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _host = await ReliabilityHost.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
