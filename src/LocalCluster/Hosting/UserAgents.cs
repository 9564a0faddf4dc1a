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

    /// <summary>
    /// The informers the all-in-one host's components share (VersStack). Every in-process client authenticates alike:
    /// without a bearer token, which the embedded API server takes for the admin (system:masters, the kubeconfig's user),
    /// and against a cluster of your own all use the one kubeconfig; the host's identity installs the CRDs, so it may
    /// list and watch all that the simulator, the operator and the fork API read. Only the User-Agent differs: this one
    /// keeps informer traffic apart in the API server's request counts. Standalone, each component lists with its own
    /// ServiceAccount.
    /// </summary>
    public const string SharedInformers = "vers-shared-informers/0.1";

    public static IKubernetes CreateClient(this KubeApiServer server, string userAgent)
    {
        var config = server.CreateClientConfiguration();
        config.UserAgent = userAgent;
        return new Kubernetes(config);
    }
}
