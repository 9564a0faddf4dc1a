using System.Diagnostics;

namespace Vers.EndToEnd.Tests;

/// <summary>Runs the real kubectl (the machine's /usr/bin/kubectl) with the host's kubeconfig.</summary>
internal static class Kubectl
{
    public static string? Path => File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : FindOnPath();

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(AllInOneFixture cluster, params string[] args)
    {
        var kubectl = Path ?? throw new InvalidOperationException("kubectl not found");
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--kubeconfig", cluster.KubeconfigPath, "--cache-dir", cluster.KubectlCacheDir, "--request-timeout", "30s" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string? FindOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => System.IO.Path.Combine(dir, "kubectl"))
            .FirstOrDefault(File.Exists);
}
