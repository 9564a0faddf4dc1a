using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Vers.Operator.Hosting;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.Hosting;

namespace Vers.LocalCluster;

/// <summary>
/// <c>dotnet run --project src/LocalCluster -- [--listen URL] [--metrics-listen URL|off] [--kube-listen URL] [--kubeconfig PATH]
/// [--dev-api-key KEY] [--no-seed] [--data-dir DIR] [--sim-latency DURATION] [--sim-fault SPEC]...</c>: the all-in-one host.
/// The flags are <see cref="HostCommandLine"/>'s; <c>--help</c> describes each.
/// </summary>
public static class Program
{
    /// <summary>Exit code for a command line the host cannot start with (as for a usage error in most Unix tools).</summary>
    public const int BadArguments = Flags.BadArguments;

    public static async Task<int> Main(string[] args)
    {
        var cli = new HostCommandLine();
        cli.Root.SetAction((parsed, _) => RunAsync(cli.Read(parsed)));
        var result = cli.Parse(args);
        // --help, --version, or the host; the host handles Ctrl+C and SIGTERM itself (a graceful stop of every part).
        return await Flags.InvokeAsync(result);
    }

    private static async Task<int> RunAsync(HostArguments arguments)
    {
        var (options, latency, faults) = arguments;
        using var loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
        using var stop = new CancellationTokenSource();
        // Ctrl+C, `kill` and container stops all end in a graceful shutdown of every part.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        options = options with { LoggerFactory = loggers };
        AllInOneHost startedHost;
        try
        {
            startedHost = await AllInOneHost.StartAsync(options, stop.Token);
        }
        catch (Exception e) when (e is DataDirectoryLockedException or StorageRefusedException or UnauthorizedAccessException)
        {
            // The data directory is someone else's, not one to serve, or not ours to write: one line, and nothing was changed.
            await Console.Error.WriteLineAsync(e.Message);
            return StorageCommands.Failed;
        }

        await using var host = startedHost;
        var logger = loggers.CreateLogger("Vers.LocalCluster");
        host.Simulator.Options.Latency = latency;
        foreach (var fault in faults)
        {
            host.Simulator.Options.Apply(fault);
        }

        if (latency > TimeSpan.Zero || faults.Count > 0)
        {
            logger.LogWarning("Simulating a bad day: every KubeVirt/CDI/storage step takes {Latency}; faults: {Faults}", latency, faults.Count == 0 ? "none" : string.Join(", ", faults));
        }
        Console.WriteLine($"""

            Vers on Kubernetes (all-in-one) is ready.
              Fork API:        {host.ApiAddress}
              Metrics:         {host.MetricsAddress}metrics
              Kubernetes API:  {host.KubeApi.BaseAddress}
              kubeconfig:      {Path.GetFullPath(options.Kubeconfig!)}   (kubectl --kubeconfig {options.Kubeconfig} get vers -A)
              Dev API key:     {host.DevApiKey}   (org "dev")

            Fork a public repository:
              curl -s -X POST {host.ApiAddress}api/v1/repositories/fork \
                -H "Authorization: Bearer {host.DevApiKey}" -H "Content-Type: application/json" \
                -d '{"{"}"source_org":"vers","source_repo":"node","source_tag":"latest"{"}"}'

            Press Ctrl+C to stop.
            """);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("Stopping");
        }

        return 0;
    }
}
