using k8s;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.Operator.Hosting;

namespace Vers.ApiShim;

/// <summary>
/// <c>vers-api-shim [--listen URL] [--kubeconfig PATH] [--release-namespace NS] [--wait-timeout SECONDS]
/// [--fork-ttl SECONDS] [--rate-limit-burst N] [--rate-limit-per-second N]</c> serves the fork API
/// (a rate limit of 0 per second switches rate limiting off);
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
        var defaults = new ApiShimOptions();
        var perSecond = Number(flags, "rate-limit-per-second", defaults.RateLimit!.TokensPerPeriod);
        var options = defaults with
        {
            Listen = flags.GetValueOrDefault("listen") ?? "http://0.0.0.0:8080",
            ReleaseNamespace = releaseNamespace,
            WaitTimeout = TimeSpan.FromSeconds(Number(flags, "wait-timeout", (int)defaults.WaitTimeout.TotalSeconds)),
            ForkTtl = TimeSpan.FromSeconds(Number(flags, "fork-ttl", (int)defaults.ForkTtl!.Value.TotalSeconds)),
            RateLimit = perSecond == 0
                ? null
                : new OrgRateLimit { Burst = Number(flags, "rate-limit-burst", defaults.RateLimit.Burst), TokensPerPeriod = perSecond, Period = TimeSpan.FromSeconds(1) },
        };
        await using var server = await ApiShimServer.StartAsync(client, options, loggers, cts.Token);
        loggers.CreateLogger("Vers.ApiShim").LogInformation("Fork API listening on {Address}", server.BaseAddress);
        await server.WaitForShutdownAsync(cts.Token);
        return 0;
    }

    private static int Number(IReadOnlyDictionary<string, string> flags, string name, int fallback) =>
        !flags.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw new ArgumentException($"--{name} must be a whole number, not '{text}'");
}
