using k8s;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.Operator.Hosting;

namespace Vers.ApiShim;

/// <summary>
/// <c>vers-api-shim [--listen URL] [--kubeconfig PATH] [--release-namespace NS]</c> serves the fork API;
/// <c>keys create --org ORG | keys revoke KEY_ID | keys list</c> manages API keys.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var (positional, flags) = CommandLine.Parse(args);
        var config = flags.TryGetValue("kubeconfig", out var kubeconfig)
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)
            : KubernetesClientConfiguration.BuildDefaultConfig();
        var releaseNamespace = flags.GetValueOrDefault("release-namespace")
            ?? Environment.GetEnvironmentVariable("POD_NAMESPACE")
            ?? config.Namespace
            ?? "vers-system";
        config.UserAgent = "vers-api-shim/0.1";
        using var client = new Kubernetes(config);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        if (positional is ["keys", ..])
        {
            return await KeysCommand.RunAsync(client, releaseNamespace, positional[1..], flags, Console.Out, Console.Error, cts.Token);
        }

        if (positional.Length > 0)
        {
            await Console.Error.WriteLineAsync($"unknown command '{positional[0]}'; use 'keys' or no command to serve");
            return 2;
        }

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var options = new ApiShimOptions
        {
            Listen = flags.GetValueOrDefault("listen") ?? "http://0.0.0.0:8080",
            ReleaseNamespace = releaseNamespace,
        };
        await using var server = await ApiShimServer.StartAsync(client, options, loggers, cts.Token);
        loggers.CreateLogger("Vers.ApiShim").LogInformation("Fork API listening on {Address}", server.BaseAddress);
        await server.WaitForShutdownAsync(cts.Token);
        return 0;
    }
}
