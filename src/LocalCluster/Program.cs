using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.Hosting;
using Vers.Operator.Hosting;

namespace Vers.LocalCluster;

/// <summary>
/// <c>dotnet run --project src/LocalCluster -- [--listen URL] [--metrics-listen URL|off] [--kube-listen URL] [--kubeconfig PATH]
/// [--dev-api-key KEY] [--no-seed] [--data-dir DIR] [--sim-latency DURATION] [--sim-fault SPEC]...</c>: the all-in-one host.
/// </summary>
public static class Program
{
    private static readonly HashSet<string> Known = ["listen", "metrics-listen", "kube-listen", "kubeconfig", "dev-api-key", "no-seed", "data-dir", "sim-latency", "sim-fault", "help"];

    private const string Usage =
        "usage: dotnet run --project src/LocalCluster -- [--listen URL] [--metrics-listen URL|off] [--kube-listen URL] [--kubeconfig PATH] [--dev-api-key KEY]\n" +
        "         [--no-seed] [--data-dir DIR]\n" +
        "         [--sim-latency DURATION] [--sim-fault deny-create=<resource plural>|fail=<resource plural>|exclude-volumes|unschedulable=<duration>]...";

    public static async Task<int> Main(string[] args)
    {
        var (positional, flags) = CommandLine.Parse(args, new HashSet<string> { "no-seed", "help" });
        var unknown = flags.Keys.Where(k => !Known.Contains(k)).Concat(positional).ToList();
        if (flags.ContainsKey("help") || unknown.Count > 0)
        {
            if (unknown.Count > 0)
            {
                await Console.Error.WriteLineAsync($"unknown argument(s): {string.Join(", ", unknown)}");
            }

            await Console.Error.WriteLineAsync(Usage);
            return unknown.Count > 0 ? 2 : 0;
        }

        // Checked now, applied once the demo data is in place: a user's bad day starts with their forks, not with the seed.
        var latency = TimeSpan.Zero;
        var faults = CommandLine.All(args, "sim-fault");
        try
        {
            if (flags.GetValueOrDefault("sim-latency") is { } latencyText)
            {
                latency = Flags.ParseDuration(latencyText) is { } d && d >= TimeSpan.Zero
                    ? d
                    : throw new ArgumentException($"--sim-latency: '{latencyText}' is not a duration (e.g. 2s, 500ms)");
            }

            foreach (var fault in faults)
            {
                new KubeVirt.SimulatorOptions().Apply(fault);
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

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

        var options = new AllInOneOptions
        {
            Listen = flags.GetValueOrDefault("listen") ?? "http://127.0.0.1:8080",
            MetricsListen = flags.GetValueOrDefault("metrics-listen") is { } metrics ? (metrics == "off" ? null : metrics) : "http://127.0.0.1:9090",
            KubeListen = flags.GetValueOrDefault("kube-listen") ?? "http://127.0.0.1:6443",
            Kubeconfig = flags.GetValueOrDefault("kubeconfig") ?? ".vers/kubeconfig",
            DevApiKey = flags.GetValueOrDefault("dev-api-key"),
            Seed = !flags.ContainsKey("no-seed"),
            DataDir = flags.GetValueOrDefault("data-dir"),
            LoggerFactory = loggers,
        };
        await using var host = await AllInOneHost.StartAsync(options, stop.Token);
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
              kubeconfig:      {Path.GetFullPath(options.Kubeconfig)}   (kubectl --kubeconfig {options.Kubeconfig} get vers -A)
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
