using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.KubeVirt;
using Vers.LocalCluster.Seeding;
using Vers.Api.Crds;
using Vers.Operator.Hosting;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;

namespace Vers.LocalCluster.Hosting;

/// <summary>
/// Installs and runs the product against any Kubernetes API — the embedded one, K3s, or a cluster of
/// your own: the CRDs (ours, and KubeVirt's/CDI's when simulated) with a wait for Established, the
/// release namespace, the KubeVirt/CDI simulator, the operator, the demo data and the fork API.
/// </summary>
public sealed class VersStack : IAsyncDisposable
{
    private bool _ready;
    private readonly List<IDisposable> _admission = [];
    private SharedInformerFactory? _informers;

    private VersStack(IKubernetes client, string devApiKey)
    {
        Client = client;
        DevApiKey = devApiKey;
    }

    /// <summary>The client the stack was installed with (demo data, tests).</summary>
    public IKubernetes Client { get; }

    /// <summary>The simulator; null when real KubeVirt does the work.</summary>
    public KubeVirtSimulator? Simulator { get; private set; }

    /// <summary>The operator; null when <see cref="AllInOneOptions.RunOperator"/> is off.</summary>
    public VersOperator? Operator { get; private set; }

    public ApiShimServer Shim { get; private set; } = null!;

    public string DevApiKey { get; }

    /// <summary>The informers the simulator, the operator and the fork API share: one per kind and form they cache.</summary>
    public SharedInformerFactory? Informers => _informers;

    public bool IsReady => _ready;

    /// <summary>
    /// Starts everything; <paramref name="clientFor"/> makes a client with the given User-Agent. With an in-process API
    /// server, <paramref name="admission"/> receives the simulated KubeVirt/CDI webhooks and <paramref name="storageReady"/>
    /// tells whether its storage takes writes (the fork API is not ready while it does not).
    /// </summary>
    public static async Task<VersStack> StartAsync(Func<string, IKubernetes> clientFor, AllInOneOptions options, CancellationToken ct, AdmissionChain? admission = null, Func<bool>? storageReady = null)
    {
        var loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggers.CreateLogger("Vers.LocalCluster");
        var devKey = options.DevApiKey ?? ApiKeys.NewKey();
        if (ApiKeys.KeyIdOf(devKey) is null)
        {
            throw new ArgumentException($"--dev-api-key must be at least {ApiKeys.MinCustomKeyLength} printable ASCII characters without spaces");
        }

        var client = clientFor(UserAgents.Host);
        var stack = new VersStack(client, devKey);
        try
        {
            var crds = CrdGenerator.All().AsEnumerable();
            if (options.SimulateKubeVirt)
            {
                crds = crds.Concat(KubeVirtCrds.All);
            }

            await new CrdInstaller(client, logger).InstallAsync(crds, TimeSpan.FromSeconds(60), ct);
            await EnsureNamespaceAsync(client, options.ReleaseNamespace, ct);

            // One client per component, each with its own User-Agent, so API request counts tell them apart; and one
            // informer per kind for all of them (see UserAgents.SharedInformers for the identity it lists with).
            var informers = stack._informers = new SharedInformerFactory(clientFor(UserAgents.SharedInformers), loggers);
            if (options.SimulateKubeVirt)
            {
                stack.Simulator = new KubeVirtSimulator(clientFor(UserAgents.Simulator), loggers, options.Simulator, options.Time, informers);
                if (admission is not null)
                {
                    stack._admission.AddRange(stack.Simulator.AdmissionPlugins().Select(admission.Register));
                }

                await stack.Simulator.StartAsync(ct);
            }

            if (options.RunOperator)
            {
                stack.Operator = new VersOperator(
                    clientFor(UserAgents.Operator),
                    loggers,
                    new VersOperatorOptions
                    {
                        Forks = options.Forks,
                        Workers = options.OperatorWorkers,
                        Time = options.Time,
                        Identity = "all-in-one",
                        Informers = informers,

                        // The forms the simulator and the fork API cache these kinds in, so that each is cached once.
                        CacheAllClonesAndDataVolumes = options.SimulateKubeVirt,
                        CacheTagWriters = true,
                    });
                await stack.Operator.StartAsync(ct);
            }

            if (options.Seed)
            {
                await new DemoSeeder(client, logger).SeedAsync(options.ReleaseNamespace, devKey, options.Orgs, ct);
            }

            stack.Shim = await ApiShimServer.StartAsync(
                clientFor(UserAgents.ApiShim),
                new ApiShimOptions
                {
                    Listen = options.Listen,
                    MetricsListen = options.MetricsListen,
                    ReleaseNamespace = options.ReleaseNamespace,
                    WaitTimeout = options.ForkWaitTimeout,
                    ForkTtl = options.ForkTtl,
                    RateLimit = options.ApiRateLimit,
                    ReadinessCheck = () => stack._ready && (storageReady?.Invoke() ?? true),

                    // Whole VMs, as the operator and the simulator cache them: one informer instead of a second, slim one.
                    SlimVmCache = !options.RunOperator && !options.SimulateKubeVirt,
                },
                loggers,
                ct,
                informers);
            stack._ready = true;
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
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

        // After every component that uses them has stopped.
        if (_informers is not null)
        {
            await _informers.DisposeAsync();
        }

        foreach (var registration in _admission)
        {
            registration.Dispose();
        }
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
