using System.Globalization;
using k8s;
using k8s.Exceptions;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.Operator.Hosting;

namespace Vers.ApiShim;

/// <summary>
/// <c>vers-api-shim [--listen URL] [--metrics-listen URL|off] [--kubeconfig PATH] [--context NAME] [--release-namespace NS]
/// [--wait-timeout DURATION] [--fork-ttl DURATION] [--failed-fork-ttl DURATION] [--max-unfinished-forks N]
/// [--rate-limit-burst N] [--rate-limit-per-second N] [--unauthenticated-rate-limit-burst N]
/// [--unauthenticated-rate-limit-per-second N]</c> serves the fork API (durations are seconds or Go-style, e.g. 90s,
/// 10m; a rate of 0 per second, or a cap of 0, switches that limit off);
/// <c>keys create --org ORG | keys revoke KEY_ID | keys list</c> manages API keys;
/// <c>orgs create ORG [--namespace NS] | orgs list</c> manages organisations.
/// </summary>
public static class Program
{
    public const string DefaultMetricsListen = "http://0.0.0.0:9090";

    public static async Task<int> Main(string[] args)
    {
        var (positional, flags) = CommandLine.Parse(args);
        if (positional.Length > 0 && positional[0] is not ("keys" or "orgs"))
        {
            await Console.Error.WriteLineAsync($"unknown command '{positional[0]}'; use 'keys', 'orgs' or no command to serve");
            return 2;
        }

        KubernetesClientConfiguration config;
        try
        {
            config = KubeconfigLoader.Load(flags.GetValueOrDefault("kubeconfig"), flags.GetValueOrDefault("context"));
        }
        catch (KubeConfigException e)
        {
            await Console.Error.WriteLineAsync($"cannot load the kubeconfig: {e.Message}");
            return 1;
        }

        var releaseNamespace = KubeconfigLoader.ReleaseNamespace(
            flags.GetValueOrDefault("release-namespace"), Environment.GetEnvironmentVariable("POD_NAMESPACE"), config);
        config.UserAgent = "vers-api-shim/0.1";
        using var client = new Kubernetes(config);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        switch (positional)
        {
            case ["keys", ..]:
                return await KeysCommand.RunAsync(client, releaseNamespace, positional[1..], flags, Console.Out, Console.Error, cts.Token);
            case ["orgs", ..]:
                return await OrgsCommand.RunAsync(client, positional[1..], flags, Console.Out, Console.Error, cts.Token);
        }

        ApiShimOptions options;
        try
        {
            options = Options(flags, releaseNamespace);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        await using var server = await ApiShimServer.StartAsync(client, options, loggers, cts.Token);
        loggers.CreateLogger("Vers.ApiShim").LogInformation(
            "Fork API listening on {Address}, metrics on {Metrics}", server.BaseAddress, server.MetricsAddress);
        await server.WaitForShutdownAsync(cts.Token);
        return 0;
    }

    /// <summary>The server's options from its flags (defaults: <see cref="ApiShimOptions"/>, metrics on port 9090).</summary>
    public static ApiShimOptions Options(IReadOnlyDictionary<string, string> flags, string releaseNamespace)
    {
        var defaults = new ApiShimOptions();
        var perSecond = Number(flags, "rate-limit-per-second", defaults.RateLimit!.TokensPerPeriod);
        var anonymousPerSecond = Number(flags, "unauthenticated-rate-limit-per-second", defaults.UnauthenticatedRateLimit!.TokensPerPeriod);
        var cap = Number(flags, "max-unfinished-forks", defaults.MaxUnfinishedForksPerOrg ?? 0);
        var metrics = flags.GetValueOrDefault("metrics-listen") ?? DefaultMetricsListen;
        return defaults with
        {
            Listen = flags.GetValueOrDefault("listen") ?? "http://0.0.0.0:8080",
            MetricsListen = metrics is "off" ? null : metrics,
            ReleaseNamespace = releaseNamespace,
            WaitTimeout = Duration(flags, "wait-timeout", defaults.WaitTimeout),
            ForkTtl = Duration(flags, "fork-ttl", defaults.ForkTtl!.Value),
            FailedForkTtl = Duration(flags, "failed-fork-ttl", defaults.FailedForkTtl!.Value),
            MaxUnfinishedForksPerOrg = cap == 0 ? null : cap,
            RateLimit = perSecond == 0
                ? null
                : new OrgRateLimit { Burst = Number(flags, "rate-limit-burst", defaults.RateLimit.Burst), TokensPerPeriod = perSecond, Period = TimeSpan.FromSeconds(1) },
            UnauthenticatedRateLimit = anonymousPerSecond == 0
                ? null
                : new OrgRateLimit
                {
                    Burst = Number(flags, "unauthenticated-rate-limit-burst", defaults.UnauthenticatedRateLimit.Burst),
                    TokensPerPeriod = anonymousPerSecond,
                    Period = TimeSpan.FromSeconds(1),
                },
        };
    }

    private static int Number(IReadOnlyDictionary<string, string> flags, string name, int fallback) =>
        !flags.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw new ArgumentException($"--{name} must be a whole number, not '{text}'");

    /// <summary>Whole seconds (<c>120</c>, as earlier versions took them) or a Go duration (<c>2m</c>, <c>90s</c>).</summary>
    private static TimeSpan Duration(IReadOnlyDictionary<string, string> flags, string name, TimeSpan fallback) =>
        !flags.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds)
        : Flags.ParseDuration(text) is { } duration && duration >= TimeSpan.Zero ? duration
        : throw new ArgumentException($"--{name} must be seconds or a duration such as 90s or 10m, not '{text}'");
}
