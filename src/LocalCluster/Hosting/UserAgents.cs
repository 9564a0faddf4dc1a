using k8s;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.Hosting;

/// <summary>The User-Agent each component of the all-in-one host sends, as the API server's request counters see it.</summary>
public static class UserAgents
{
    public const string Operator = "vers-operator/0.1";
    public const string ApiShim = "vers-api-shim/0.1";
    public const string Simulator = "kubevirt-simulator/0.1";
    public const string Host = "vers-local-host/0.1";

    public static IKubernetes CreateClient(this KubeApiServer server, string userAgent)
    {
        var config = server.CreateClientConfiguration();
        config.UserAgent = userAgent;
        return new Kubernetes(config);
    }
}
