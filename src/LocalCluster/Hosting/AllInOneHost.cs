using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.LocalCluster.Api;
using Vers.LocalCluster.KubeVirt;
using Vers.LocalCluster.Seeding;
using Vers.Operator.Entities.Crds;
using Vers.Operator.Hosting;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;

namespace Vers.LocalCluster.Hosting;

/// <summary>
/// Everything in one process (DESIGN §7): the embedded Kubernetes API, our CRDs and KubeVirt's/CDI's,
/// the KubeVirt/CDI simulator, the operator and the fork API, then the demo data.
/// </summary>
public sealed class AllInOneHost : IAsyncDisposable
{
    private bool _ready;

    private AllInOneHost(KubeApiServer kubeApi, IKubernetes client, string devApiKey)
    {
        KubeApi = kubeApi;
        Client = client;
        DevApiKey = devApiKey;
    }

    public KubeApiServer KubeApi { get; }

    public IKubernetes Client { get; }

    public KubeVirtSimulator Simulator { get; private set; } = null!;

    /// <summary>The operator running in the host; null when <see cref="AllInOneOptions.RunOperator"/> is off.</summary>
    public VersOperator? Operator { get; private set; }

    public ApiShimServer Shim { get; private set; } = null!;

    public string DevApiKey { get; }

    public Uri ApiAddress => Shim.BaseAddress;

    public bool IsReady => _ready;

    public static async Task<AllInOneHost> StartAsync(AllInOneOptions options, CancellationToken ct)
    {
        var loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggers.CreateLogger("Vers.LocalCluster");
        var devKey = options.DevApiKey ?? ApiKeys.NewKey();
        if (ApiKeys.KeyIdOf(devKey) is null)
        {
            throw new ArgumentException($"--dev-api-key must be at least {ApiKeys.MinCustomKeyLength} printable ASCII characters without spaces");
        }

        AllInOneHost? host = null;
        var kubeApi = await KubeApiServer.StartAsync(
            new KubeApiServerOptions { Url = options.KubeListen, LoggerFactory = loggers, Time = options.Time, ReadinessCheck = () => host?._ready == true },
            ct);
        try
        {
            var client = kubeApi.CreateClient(UserAgents.Host);
            host = new AllInOneHost(kubeApi, client, devKey);
            if (options.Kubeconfig is not null)
            {
                kubeApi.WriteKubeconfig(options.Kubeconfig);
            }

            await new CrdInstaller(client, logger).InstallAsync(CrdGenerator.All().Concat(KubeVirtCrds.All), TimeSpan.FromSeconds(30), ct);
            await EnsureNamespaceAsync(client, options.ReleaseNamespace, ct);

            // One client per component, each with its own User-Agent, so API request counts tell them apart.
            host.Simulator = new KubeVirtSimulator(kubeApi.CreateClient(UserAgents.Simulator), loggers, options.Simulator, options.Time);
            await host.Simulator.StartAsync(ct);
            if (options.RunOperator)
            {
                host.Operator = new VersOperator(kubeApi.CreateClient(UserAgents.Operator), loggers, new VersOperatorOptions { Forks = options.Forks, Workers = options.OperatorWorkers, Time = options.Time, Identity = "all-in-one" });
                await host.Operator.StartAsync(ct);
            }

            if (options.Seed)
            {
                await new DemoSeeder(client, logger).SeedAsync(options.ReleaseNamespace, devKey, ct);
            }

            host.Shim = await ApiShimServer.StartAsync(
                kubeApi.CreateClient(UserAgents.ApiShim),
                new ApiShimOptions
                {
                    Listen = options.Listen,
                    ReleaseNamespace = options.ReleaseNamespace,
                    WaitTimeout = options.ForkWaitTimeout,
                    ForkTtl = options.ForkTtl,
                    RateLimit = options.ApiRateLimit,
                    ReadinessCheck = () => host._ready,
                },
                loggers,
                ct);
            host._ready = true;
            return host;
        }
        catch
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
            else
            {
                await kubeApi.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ready = false;
        if (Shim is not null)
        {
            await Shim.DisposeAsync();
        }

        if (Operator is not null)
        {
            await Operator.DisposeAsync();
        }

        if (Simulator is not null)
        {
            await Simulator.DisposeAsync();
        }

        await KubeApi.DisposeAsync();
    }

    private static async Task EnsureNamespaceAsync(IKubernetes client, string name, CancellationToken ct)
    {
        try
        {
            await new KubeRestClient(client).CreateAsync(
                ResourceType.Namespace, null, new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = name } }, ct);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // Already there.
        }
    }
}
