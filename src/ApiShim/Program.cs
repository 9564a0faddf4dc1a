using System.CommandLine;
using k8s;
using k8s.Exceptions;
using Microsoft.Extensions.Logging;
using Vers.Operator.Hosting;
using Vers.ApiShim.Hosting;

namespace Vers.ApiShim;

/// <summary>
/// <c>Vers.ApiShim [--listen URL] [--metrics-listen URL|off] [--kubeconfig PATH] [--context NAME] [--release-namespace NS]
/// [--wait-timeout DURATION] [--fork-ttl DURATION] [--failed-fork-ttl DURATION] [--max-unfinished-forks N]
/// [--rate-limit-burst N] [--rate-limit-per-second N] [--unauthenticated-rate-limit-burst N]
/// [--unauthenticated-rate-limit-per-second N]</c> serves the fork API;
/// <c>keys create --org ORG | keys revoke KEY_ID | keys list</c> manages API keys;
/// <c>orgs create ORG [--namespace NS] | orgs list</c> manages organisations.
/// The flags are <see cref="ApiShimCommandLine"/>'s; <c>--help</c> describes each.
/// </summary>
public static class Program
{
    /// <summary>Exit code for a command line the shim cannot start with (as for a usage error in most Unix tools).</summary>
    public const int BadArguments = Flags.BadArguments;

    public static async Task<int> Main(string[] args)
    {
        var cli = new ApiShimCommandLine();
        cli.SetAction((arguments, _) => RunAsync(arguments));
        var result = cli.Parse(args);
        // --help, --version, a command, or the server; Ctrl+C is handled below (the server also stops on SIGTERM).
        return await Flags.InvokeAsync(result);
    }

    private static async Task<int> RunAsync(ApiShimArguments arguments)
    {
        KubernetesClientConfiguration config;
        try
        {
            config = KubeconfigLoader.Load(arguments.Kubeconfig, arguments.Context);
        }
        catch (KubeConfigException e)
        {
            await Console.Error.WriteLineAsync($"cannot load the kubeconfig: {e.Message}");
            return 1;
        }

        var releaseNamespace = KubeconfigLoader.ReleaseNamespace(arguments.ReleaseNamespace, Environment.GetEnvironmentVariable("POD_NAMESPACE"), config);
        config.UserAgent = "vers-api-shim/0.1";
        using var client = new Kubernetes(config);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        if (arguments.Command is { } command)
        {
            return await command(client, releaseNamespace, Console.Out, Console.Error, cts.Token);
        }

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        await using var server = await ApiShimServer.StartAsync(client, arguments.Options with { ReleaseNamespace = releaseNamespace }, loggers, cts.Token);
        loggers.CreateLogger("Vers.ApiShim").LogInformation(
            "Fork API listening on {Address}, metrics on {Metrics}", server.BaseAddress, server.MetricsAddress);
        await server.WaitForShutdownAsync(cts.Token);
        return 0;
    }
}
