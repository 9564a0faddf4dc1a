using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.ApiShim.Hosting;
using Vers.Kube;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.Hosting;
using Vers.Kube.Informers;

namespace Vers.LocalCluster.Hosting;

/// <summary>
/// Everything in one process (docs/architecture.md#what-runs-where): the embedded Kubernetes API, then the product installed on
/// it exactly as on any other cluster (<see cref="VersStack"/>): CRDs, KubeVirt/CDI simulator, operator,
/// demo data and the fork API.
/// </summary>
public sealed class AllInOneHost : IAsyncDisposable
{
    private VersStack? _stack;
    private MemoryReturn? _memoryReturn;

    private AllInOneHost(KubeApiServer kubeApi) => KubeApi = kubeApi;

    public KubeApiServer KubeApi { get; }

    private VersStack Stack => _stack ?? throw new InvalidOperationException("the host has not started");

    public IKubernetes Client => Stack.Client;

    public KubeVirtSimulator Simulator => Stack.Simulator ?? throw new InvalidOperationException("KubeVirt is not simulated");

    /// <summary>The operator running in the host; null when <see cref="AllInOneOptions.RunOperator"/> is off.</summary>
    public VersOperator? Operator => Stack.Operator;

    public ApiShimServer Shim => Stack.Shim;

    public string DevApiKey => Stack.DevApiKey;

    /// <summary>The informers the simulator, the operator and the fork API share.</summary>
    public SharedInformerFactory Informers => Stack.Informers!;

    public Uri ApiAddress => Shim.BaseAddress;

    /// <summary>Where the fork API serves /metrics: its own listener, or the API's.</summary>
    public Uri MetricsAddress => Shim.MetricsAddress;

    public bool IsReady => _stack?.IsReady == true;

    public static async Task<AllInOneHost> StartAsync(AllInOneOptions options, CancellationToken ct)
    {
        AllInOneHost? host = null;
        var kubeApi = await KubeApiServer.StartAsync(
            new KubeApiServerOptions
            {
                Url = options.KubeListen,
                DataDir = options.DataDir,
                LoggerFactory = options.LoggerFactory,
                Time = options.Time,
                ReadinessCheck = () => host?.IsReady == true,
                Access = options.Rbac ? AccessPolicy.WithRbac() : new AccessPolicy(),
            },
            ct);
        host = new AllInOneHost(kubeApi);
        try
        {
            if (options.Kubeconfig is not null)
            {
                kubeApi.WriteKubeconfig(options.Kubeconfig);
            }

            host._stack = await VersStack.StartAsync(kubeApi.CreateClient, options, ct, kubeApi.Admission, kubeApi.CheckStorage);
            host._memoryReturn = new MemoryReturn(
                () => kubeApi.ObjectCount,
                (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MemoryReturn>(),
                forget: () =>
                {
                    KubeJson.ForgetSharedStrings();
                    KubeApiServer.ForgetSharedStrings();
                });
            return host;
        }
        catch
        {
            await kubeApi.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_memoryReturn is not null)
        {
            await _memoryReturn.DisposeAsync();
        }

        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }

        await KubeApi.DisposeAsync();
    }
}
