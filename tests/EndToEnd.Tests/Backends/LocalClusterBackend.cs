using k8s;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;

namespace Vers.EndToEnd.Tests.Backends;

/// <summary>
/// The embedded API server, with the product installed on it through the same path as on K3s or a
/// real cluster — so that path runs in the default suite on every machine.
/// </summary>
public sealed class LocalClusterBackend : ClusterBackend
{
    private KubeApiServer? _server;

    public override string Name => "LocalCluster";

    protected override async Task<Func<string, IKubernetes>?> StartClusterAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0" }, CancellationToken.None);
        return _server.CreateClient;
    }

    protected override async Task StopClusterAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
