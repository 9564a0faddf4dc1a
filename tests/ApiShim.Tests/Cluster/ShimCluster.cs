using System.Collections.Concurrent;
using k8s;
using Microsoft.Extensions.Logging;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.ApiShim.Hosting;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.LocalCluster.Hosting;
using Vers.LocalCluster.KubeVirt;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ShimCluster>
{
    public const string Name = "cluster";
}

/// <summary>
/// One <see cref="TestStack"/> (seeded with org vers) for the shim's cluster-backed tests. Every test makes its own
/// org, so tests do not see each other's forks. All log output of the host is kept, for the check that no key material
/// is ever logged. The HTTP helpers take the fork API's address, since some tests start fork APIs of their own.
/// </summary>
public sealed class ShimCluster : IAsyncLifetime
{
    private readonly ConcurrentBag<string> _issuedKeys = [];
    private TestStack _stack = null!;

    public LogCapture Logs { get; } = new();

    public ILoggerFactory Loggers { get; private set; } = null!;

    public AllInOneHost Host => _stack.Host;

    public KubeRestClient Rest => _stack.Rest;

    /// <summary>The KubeVirt simulator's delays, switchable while tests run (restore what you change).</summary>
    public SimulatorOptions Simulator => _stack.Simulator;

    /// <summary>Every key handed out by this fixture, the dev key included.</summary>
    public IReadOnlyCollection<string> IssuedKeys => _issuedKeys;

    public async ValueTask InitializeAsync()
    {
        Loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        _stack = await TestStack.StartAsync(new TestStackOptions { Loggers = Loggers, KeyIssued = _issuedKeys.Add }, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stack.DisposeAsync();
        Loggers.Dispose();
    }

    /// <summary>A new org (labelled namespace) with a key, once the fork API knows both.</summary>
    public Task<TestOrg> NewOrgAsync() => _stack.NewOrgAsync($"org-{Guid.NewGuid():N}"[..16]);

    /// <summary>
    /// Starts another fork API on the same cluster, e.g. with a tiny wait limit, or to play a restart; on
    /// <paramref name="client"/> when given (see <see cref="ShimClient"/>).
    /// </summary>
    public Task<ApiShimServer> StartShimAsync(Func<ApiShimOptions, ApiShimOptions> configure, CancellationToken ct, IKubernetes? client = null) =>
        ApiShimServer.StartAsync(
            client ?? Host.Client,
            configure(new ApiShimOptions { Listen = "http://127.0.0.1:0", ReleaseNamespace = TestStack.ReleaseNamespace, RateLimit = null }),
            Loggers,
            ct);

    /// <summary>A client of the embedded API with the fork API's User-Agent, through <paramref name="handlers"/>.</summary>
    public IKubernetes ShimClient(params DelegatingHandler[] handlers) => _stack.ClientAs(UserAgents.ApiShim, handlers);

    /// <summary>One request on a connection of its own (a fork API a test stopped leaves no pooled connection behind).</summary>
    public static async Task<ApiAnswer> SendAsync(
        Uri baseAddress, HttpMethod method, string path, string? key, string? body, CancellationToken ct, params (string Name, string Value)[] headers)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        return await ApiAnswer.SendAsync(http, method, new Uri(baseAddress, path), key, body, ct, headers);
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
