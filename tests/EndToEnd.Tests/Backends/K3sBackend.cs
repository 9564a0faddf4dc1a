using System.Text;
using DotNet.Testcontainers.Builders;
using k8s;
using Testcontainers.K3s;

namespace Vers.EndToEnd.Tests.Backends;

/// <summary>
/// A real API server: K3s in a container (Testcontainers), with our CRDs and KubeVirt's/CDI's (built
/// from the real schemas) installed and the operator, fork API and KubeVirt/CDI simulator running in
/// this process against it (real KubeVirt needs KVM). Where no Docker engine is reachable every test
/// reports itself skipped with the reason.
/// </summary>
public sealed class K3sBackend : ClusterBackend
{
    public const string Image = "rancher/k3s:v1.32.3-k3s1";
    private K3sContainer? _container;

    public override string Name => "K3s";

    protected override async Task<Func<string, IKubernetes>?> StartClusterAsync()
    {
        try
        {
            _container = new K3sBuilder(Image).Build();
            await _container.StartAsync();
        }
        catch (DockerUnavailableException e)
        {
            SkipReason = $"no Docker engine: {e.Message.Split('\n')[0].Trim()}";
            return null;
        }

        var kubeconfig = await _container.GetKubeconfigAsync();
        return ClientsFrom(() =>
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(stream);
        });
    }

    protected override async Task StopClusterAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
