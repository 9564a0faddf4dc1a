using System.Diagnostics;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>
/// The helm binary: <c>$VERS_HELM</c> (set by .ci/run), else the one .ci/fetch-helm caches under .tools/helm/,
/// else helm on PATH. Runs with private cache/config/data directories so the user's repositories do not matter.
/// </summary>
internal static class Helm
{
    public const string ReleaseName = "vers";
    public const string ReleaseNamespace = "vers-system";

    private static readonly string Home = Directory.CreateTempSubdirectory("vers-helm-").FullName;

    public static string ChartPath => System.IO.Path.Combine(SamplesTests.RepositoryRoot(), "charts", "vers");

    public static string? Path { get; } = Find();

    public static string SkipReason =>
        "helm is not installed: set VERS_HELM, run .ci/fetch-helm (caches it under .tools/helm/), or put helm on PATH";

    /// <summary>Values that switch on every optional feature of the chart.</summary>
    public static readonly string[] AllFeaturesOn =
    [
        "--set", "metrics.serviceMonitor.enabled=true",
        "--set", "networkPolicy.enabled=true",
        "--set", "networkPolicy.kubeApiServer.cidrs[0]=10.0.0.1/32",
        "--set", "networkPolicy.apiIngressFrom[0].namespaceSelector.matchLabels.ingress=true",
        "--set", "networkPolicy.metricsIngressFrom[0].namespaceSelector.matchLabels.monitoring=true",
        "--set", "apiShim.keyManagementInPod=true",
        "--set", "orgs[0].name=acme",
        "--set", "orgs[0].editors[0].kind=Group",
        "--set", "orgs[0].editors[0].name=acme-developers",
        "--set", "orgs[0].editors[0].apiGroup=rbac.authorization.k8s.io",
        "--set", "orgs[0].viewers[0].kind=User",
        "--set", "orgs[0].viewers[0].name=auditor@example.com",
        "--set", "orgs[0].viewers[0].apiGroup=rbac.authorization.k8s.io",
        "--set", "orgs[1].name=Beta_Org",
        "--set", "orgs[1].namespace=beta",
        "--set", "imagePullSecrets[0].name=registry",
        "--set", "apiShim.service.type=LoadBalancer",
    ];

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Path ?? throw new InvalidOperationException(SkipReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["HELM_CACHE_HOME"] = System.IO.Path.Combine(Home, "cache");
        start.Environment["HELM_CONFIG_HOME"] = System.IO.Path.Combine(Home, "config");
        start.Environment["HELM_DATA_HOME"] = System.IO.Path.Combine(Home, "data");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary><c>helm template vers charts/vers -n vers-system [args]</c>; fails the test when helm fails.</summary>
    public static async Task<string> TemplateAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(["template", ReleaseName, ChartPath, "--namespace", ReleaseNamespace, .. args]);
        Assert.True(exit == 0, $"helm template failed: {stderr}");
        return stdout;
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("VERS_HELM") is { Length: > 0 } configured && File.Exists(configured))
        {
            return configured;
        }

        var cached = System.IO.Path.Combine(SamplesTests.RepositoryRoot(), ".tools", "helm");
        if (Directory.Exists(cached))
        {
            var found = Directory.EnumerateFiles(cached, "helm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).LastOrDefault();
            if (found is not null)
            {
                return found;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => System.IO.Path.Combine(dir, "helm"))
            .FirstOrDefault(File.Exists);
    }
}
