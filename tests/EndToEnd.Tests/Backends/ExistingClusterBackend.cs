using k8s;
using Vers.LocalCluster.Hosting;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.EndToEnd.Tests.Backends;

/// <summary>
/// A cluster of your own, from <c>VERS_TEST_KUBECONFIG</c>. The product is installed into namespaces
/// unique to the run (removed afterwards). With <c>VERS_TEST_REAL_KUBEVIRT=1</c> the simulator stays
/// off and the cluster's KubeVirt and CDI do the work; <c>VERS_TEST_TIMEOUT</c> (seconds) bounds each fork.
/// </summary>
public sealed class ExistingClusterBackend : ClusterBackend
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private readonly bool _realKubeVirt = Environment.GetEnvironmentVariable("VERS_TEST_REAL_KUBEVIRT") == "1";
    private IKubernetes? _admin;

    public ExistingClusterBackend()
    {
        Orgs = new SeedOrgs($"vers-{_run}", $"vers-e2e-{_run}", $"dev-{_run}", $"dev-e2e-{_run}");
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("VERS_TEST_TIMEOUT"), out var s) ? s : _realKubeVirt ? 900 : 60;
        ForkTimeout = TimeSpan.FromSeconds(seconds);
    }

    public override string Name => "ExistingCluster";

    protected override string ReleaseNamespace => $"vers-e2e-system-{_run}";

    protected override bool SimulateKubeVirt => !_realKubeVirt;

    protected override Task<Func<string, IKubernetes>?> StartClusterAsync()
    {
        var path = Environment.GetEnvironmentVariable("VERS_TEST_KUBECONFIG");
        if (string.IsNullOrEmpty(path))
        {
            SkipReason = "VERS_TEST_KUBECONFIG is not set: no cluster of your own to test against";
            return Task.FromResult<Func<string, IKubernetes>?>(null);
        }

        var clientFor = ClientsFrom(() => KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
        _admin = clientFor("vers-e2e-cleanup");
        return Task.FromResult<Func<string, IKubernetes>?>(clientFor);
    }

    protected override async Task StopClusterAsync()
    {
        if (_admin is null)
        {
            return;
        }

        var rest = new KubeRestClient(_admin);
        foreach (var ns in new[] { Orgs.SourceNamespace, Orgs.DevNamespace, ReleaseNamespace })
        {
            await rest.DeleteAsync(ResourceType.Namespace, null, ns, CancellationToken.None);
        }
    }
}
