using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Api;
using Vers.ApiShim.Auth;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.LeaderElection;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.LocalCluster.KubeVirt;
using Vers.LocalCluster.Seeding;
using Vers.Operator.Forks;
using Vers.Operator.Hosting;

namespace Vers.Testing;

/// <summary>How a test stack starts: where its components log, who hears of the keys it issues, and host options.</summary>
public sealed record TestStackOptions
{
    public ILoggerFactory Loggers { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Told every API key the stack issues (the dev key, org keys): what a log check must never find.</summary>
    public Action<string>? KeyIssued { get; init; }

    /// <summary>Changes the host's options after the test defaults are set (no operator, no demo data, other timeouts ...).</summary>
    public Func<AllInOneOptions, AllInOneOptions>? Configure { get; init; }
}

/// <summary>
/// The all-in-one host the cluster-backed tests run against: the embedded Kubernetes API, the KubeVirt/CDI simulator,
/// the operator (unless switched off), the demo data (unless switched off) and the fork API, on free loopback ports,
/// with no kubeconfig, no rate limit and a 30 s fork wait. Helpers make clients, operator instances, orgs and keys,
/// forks (as kubectl would, or through the fork API), and wait for what the operator does. The harnesses of the test
/// projects (ShimCluster, ForkHost, ReliabilityHost) are thin layers over it.
/// </summary>
public sealed class TestStack : IAsyncDisposable
{
    public const string ReleaseNamespace = "vers-system";

    /// <summary>The demo data's public source org (node, python, rust, go; private internal).</summary>
    public const string SourceOrg = "vers";

    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);

    // One pooled client for every stack: suites that fork concurrently need many connections at once.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { Timeout = TimeSpan.FromSeconds(120) };

    private readonly TestStackOptions _options;
    private ClusterInventory? _inventory;

    private TestStack(AllInOneHost host, SimulatorOptions simulator, TestStackOptions options)
    {
        Host = host;
        Simulator = simulator;
        _options = options;
        Rest = new KubeRestClient(host.Client);
    }

    public AllInOneHost Host { get; }

    /// <summary>The KubeVirt simulator's delays and faults, switchable while tests run (restore what you change).</summary>
    public SimulatorOptions Simulator { get; }

    public KubeRestClient Rest { get; }

    public IKubernetes Client => Host.Client;

    public KubeApiServer KubeApi => Host.KubeApi;

    /// <summary>The fork API.</summary>
    public Uri Api => Host.ApiAddress;

    public ILoggerFactory Loggers => _options.Loggers;

    /// <summary>Everything that exists in a namespace, of every kind the API server serves.</summary>
    public ClusterInventory Inventory => _inventory ??= new ClusterInventory(KubeApi.BaseAddress);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<TestStack> StartAsync(TestStackOptions? options = null, CancellationToken ct = default)
    {
        options ??= new TestStackOptions();
        var hostOptions = new AllInOneOptions
        {
            Listen = "http://127.0.0.1:0",
            KubeListen = "http://127.0.0.1:0",
            Kubeconfig = null,
            ReleaseNamespace = ReleaseNamespace,
            ForkWaitTimeout = TimeSpan.FromSeconds(30),
            ApiRateLimit = null,
            Simulator = new SimulatorOptions(),
            LoggerFactory = options.Loggers,
        };
        hostOptions = options.Configure?.Invoke(hostOptions) ?? hostOptions;
        var host = await AllInOneHost.StartAsync(hostOptions, ct);
        options.KeyIssued?.Invoke(host.DevApiKey);
        return new TestStack(host, hostOptions.Simulator, options);
    }

    /// <summary>A client of the embedded API with <paramref name="userAgent"/>, through <paramref name="handlers"/>.</summary>
    public IKubernetes ClientAs(string userAgent, params DelegatingHandler[] handlers)
    {
        var config = KubeApi.CreateClientConfiguration();
        config.UserAgent = userAgent;
        return new Kubernetes(config, handlers);
    }

    /// <summary>A client with the operator's User-Agent, through <paramref name="handlers"/> (faults, held watches ...).</summary>
    public IKubernetes OperatorClient(params DelegatingHandler[] handlers) => ClientAs(UserAgents.Operator, handlers);

    /// <summary>A new operator instance (not started) on <paramref name="client"/> (default: the operator's own client).</summary>
    public VersOperator NewOperator(
        string identity, IKubernetes? client = null, ForkOptions? forks = null, LeaderElectionOptions? leaderElection = null, int workers = 4) =>
        new(client ?? OperatorClient(), Loggers, new VersOperatorOptions
        {
            Identity = identity,
            Forks = forks ?? new ForkOptions(),
            LeaderElection = leaderElection,
            Workers = workers,
        });

    /// <summary>An org: its namespace, labelled as one. Answers its name (which is its namespace).</summary>
    public async Task<string> EnsureOrgAsync(string name)
    {
        await new RepositoryPublisher(Client).EnsureOrgAsync(name, Ct);
        return name;
    }

    /// <summary>An org with an API key, once the fork API accepts the key (it has seen both the key and the namespace).</summary>
    public async Task<TestOrg> NewOrgAsync(string name)
    {
        await EnsureOrgAsync(name);
        var (key, info) = await ApiKeys.CreateAsync(Client, ReleaseNamespace, name, Ct);
        _options.KeyIssued?.Invoke(key);
        await Eventually.ReachAsync(async () => (await GetAsync("api/v1/repositories", key)).Status == 200, TimeSpan.FromSeconds(10));
        return new TestOrg(name, key, info.KeyId);
    }

    /// <summary>Publishes org/repo:latest in the org's namespace (VM, ready snapshot, Commit, Tag, Repository).</summary>
    public Task<string> PublishAsync(string org, string repo, Visibility visibility = Visibility.Public) =>
        new RepositoryPublisher(Client).PublishAsync(org, org, repo, "latest", visibility, Ct);

    /// <summary>A fork as kubectl would create it (no finalizer, no status); of vers/node:latest unless told otherwise.</summary>
    public Task<RepositoryFork> CreateForkAsync(
        string ns, string name, string sourceOrg = SourceOrg, string sourceRepo = "node", string? repoName = null, string? tagName = null,
        long? ttl = null, long? failedTtl = null) =>
        Rest.CreateAsync(RepositoryFork.Type, ns, new RepositoryFork
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new RepositoryForkSpec
            {
                SourceOrg = sourceOrg, SourceRepo = sourceRepo, SourceTag = "latest", RepoName = repoName, TagName = tagName,
                TtlSecondsAfterFinished = ttl, TtlSecondsAfterFailure = failedTtl,
            },
        }, Ct);

    public Task<RepositoryFork> UntilForkAsync(string ns, string name, Func<RepositoryFork, bool> condition, TimeSpan? within = null) =>
        Rest.UntilAsync(RepositoryFork.Type, ns, name, condition, within ?? DefaultWait, Ct);

    /// <summary>Waits until the fork is Succeeded or Failed and the operator has let go of it (no finalizer left).</summary>
    public Task<RepositoryFork> FinishedAsync(string ns, string name, TimeSpan? within = null) => UntilForkAsync(ns, name, IsFinished, within);

    public static bool IsFinished(RepositoryFork f) =>
        f.Status?.Phase is ForkPhase.Succeeded or ForkPhase.Failed && f.Metadata.Finalizers is null or { Count: 0 };

    public async Task<List<T>> ListAsync<T>(ResourceType type, string? ns, string? labelSelector = null)
        where T : IKubernetesObject =>
        [.. (await Rest.ListAsync<T>(type, ns, Ct, labelSelector: labelSelector)).Items];

    public Task<GenericObject?> TryGetAsync(ResourceType type, string ns, string name) => Rest.TryGetAsync<GenericObject>(type, ns, name, Ct);

    /// <summary>Waits, by watching, until the named object does not exist.</summary>
    public Task UntilGoneAsync(ResourceType type, string ns, string name, TimeSpan? within = null) =>
        Rest.UntilGoneAsync(type, ns, name, within ?? DefaultWait, Ct);

    public Task<ApiAnswer> ForkAsync(string key, string body, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Post, "api/v1/repositories/fork", key, body, headers);

    public Task<ApiAnswer> GetAsync(string path, string? key) => SendAsync(HttpMethod.Get, path, key, null);

    public Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? key, string? body, params (string Name, string Value)[] headers) =>
        ApiAnswer.SendAsync(Http, method, new Uri(Api, path), key, body, Ct, headers);

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>An organisation made by a test with an API key: its name (which is its namespace), the key and the key's id.</summary>
public sealed record TestOrg(string Name, string Key, string KeyId)
{
    public string Namespace => Name;
}
