using System.Reflection;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.ApiServer;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.Testing;

/// <summary>A fresh in-process Kubernetes API server on a free port, with a client.</summary>
internal sealed class ApiServer : IAsyncDisposable
{
    public static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap");

    private ApiServer(KubeApiServer server)
    {
        Server = server;
        Client = server.CreateClient();
        Rest = new KubeRestClient(Client);
    }

    public KubeApiServer Server { get; }

    public IKubernetes Client { get; }

    public KubeRestClient Rest { get; }

    /// <param name="watchHistoryLimit">
    /// How many storage events a watch can resume from before the server answers 410 Expired. The option is
    /// internal to LocalCluster, so it is set by reflection (small values force 410s).
    /// </param>
    public static async Task<ApiServer> StartAsync(int? watchHistoryLimit = null)
    {
        var options = new KubeApiServerOptions { Url = "http://127.0.0.1:0", LoggerFactory = NullLoggerFactory.Instance };
        if (watchHistoryLimit is { } limit)
        {
            var property = typeof(KubeApiServerOptions).GetProperty("WatchHistoryLimit", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
                ?? throw new InvalidOperationException("KubeApiServerOptions.WatchHistoryLimit is gone; the 410 tests need another way to force one");
            property.SetValue(options, limit);
        }

        return new ApiServer(await KubeApiServer.StartAsync(options, TestContext.Current.CancellationToken));
    }

    public Task<V1ConfigMap> CreateConfigMapAsync(string name, string ns = "default", string value = "1") =>
        Rest.CreateAsync(ConfigMaps, ns, ConfigMap(name, ns, value), TestContext.Current.CancellationToken);

    public Task<V1ConfigMap> UpdateConfigMapAsync(string name, string value, string ns = "default") =>
        Rest.PatchAsync<V1ConfigMap>(ConfigMaps, ns, name, new { data = new Dictionary<string, string> { ["value"] = value } }, TestContext.Current.CancellationToken);

    public Task<bool> DeleteConfigMapAsync(string name, string ns = "default") =>
        Rest.DeleteAsync(ConfigMaps, ns, name, TestContext.Current.CancellationToken);

    public static V1ConfigMap ConfigMap(string name, string ns = "default", string value = "1") => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Data = new Dictionary<string, string> { ["value"] = value },
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
