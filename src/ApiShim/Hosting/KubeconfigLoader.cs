using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace Vers.ApiShim.Hosting;

/// <summary>
/// Client configuration the way kubectl finds it: <c>--kubeconfig</c>, else the first file of <c>$KUBECONFIG</c>, else
/// <c>~/.kube/config</c>, else the pod's ServiceAccount; <c>--context</c> picks a context. KubernetesClient's own loading
/// does the work (tokens, client certificates, exec plugins, auth providers), with one addition: a user entry with no
/// credentials at all (<c>user: {}</c>, as LocalCluster's kubeconfig has), which kubectl accepts as an anonymous
/// client and KubernetesClient refuses, is loaded as a client without credentials.
/// </summary>
public static class KubeconfigLoader
{
    public static KubernetesClientConfiguration Load(string? kubeconfigPath, string? context)
    {
        var path = kubeconfigPath ?? FromEnvironment();
        if (path is null)
        {
            if (File.Exists(KubernetesClientConfiguration.KubeConfigDefaultLocation))
            {
                path = KubernetesClientConfiguration.KubeConfigDefaultLocation;
            }
            else if (KubernetesClientConfiguration.IsInCluster() && context is null)
            {
                return KubernetesClientConfiguration.InClusterConfig();
            }
            else
            {
                throw new KubeConfigException(
                    $"no kubeconfig: pass --kubeconfig, set KUBECONFIG, or create {KubernetesClientConfiguration.KubeConfigDefaultLocation}");
            }
        }

        if (!File.Exists(path))
        {
            throw new KubeConfigException($"kubeconfig {path} does not exist");
        }

        var kubeconfig = KubernetesClientConfiguration.LoadKubeConfig(path);
        var contextName = context ?? kubeconfig.CurrentContext;
        var user = kubeconfig.Contexts?.FirstOrDefault(c => c.Name == contextName)?.ContextDetails?.User is { } userName
            ? kubeconfig.Users?.FirstOrDefault(u => u.Name == userName)
            : null;
        if (user is null || HasCredentials(user.UserCredentials))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, contextName);
        }

        // Anonymous: KubernetesClient insists on some credential, so give it a token for the build and take it away.
        user.UserCredentials = new UserCredentials { Token = "anonymous" };
        var config = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, contextName);
        config.AccessToken = null;
        config.TokenProvider = null;
        return config;
    }

    /// <summary>
    /// The namespace of API key Secrets: <c>--release-namespace</c>, else the pod's own (<c>POD_NAMESPACE</c>), else the
    /// kubeconfig context's namespace, else <c>vers-system</c>.
    /// </summary>
    public static string ReleaseNamespace(string? flag, string? podNamespace, KubernetesClientConfiguration config)
    {
        if (flag is { Length: > 0 })
        {
            return flag;
        }

        if (podNamespace is { Length: > 0 })
        {
            return podNamespace;
        }

        return config.Namespace is { Length: > 0 } contextNamespace ? contextNamespace : "vers-system";
    }

    private static string? FromEnvironment() =>
        (Environment.GetEnvironmentVariable("KUBECONFIG") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(File.Exists);

    private static bool HasCredentials(UserCredentials? user) =>
        user is not null
        && (user.Token is { Length: > 0 }
            || user.ClientCertificateData is { Length: > 0 } || user.ClientCertificate is { Length: > 0 }
            || user.UserName is { Length: > 0 }
            || user.AuthProvider is not null
            || user.ExternalExecution is not null);
}
