using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Vers.ApiShim.Auth;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.Hosting;

namespace Vers.LocalCluster.Hosting;

/// <summary>What the all-in-one host's command line asks for: the host's options and the simulator's bad day.</summary>
public sealed record HostArguments(AllInOneOptions Options, TimeSpan SimLatency, IReadOnlyList<string> SimFaults);

/// <summary>
/// The all-in-one host's command line, parsed by System.CommandLine: every flag with its help text, default and check.
/// A bad value is a parse error naming the flag (the program answers it with exit code 2), so nothing starts with it.
/// </summary>
public sealed class HostCommandLine
{
    public const string Description =
        "Vers on Kubernetes, all in one process: an embedded Kubernetes API server (real kubectl works against it), " +
        "the KubeVirt/CDI/storage simulator, the operator, demo data and the fork API.\n" +
        "Started from the repository as: dotnet run --project src/LocalCluster -- [options]";

    public HostCommandLine()
    {
        Listen = Flags.Url("--listen", "http://127.0.0.1:8080", "The fork API (the shim) listens here.");
        MetricsListen = Flags.Url(
            "--metrics-listen", "http://127.0.0.1:9090", "The fork API's /metrics listens here; 'off' serves /metrics on the --listen port.", allowOff: true);
        KubeListen = new Option<string>("--kube-listen")
        {
            HelpName = "URL",
            Description = "The embedded Kubernetes API listens here (http://, an IP address or localhost, port 0 picks a free one).",
            DefaultValueFactory = _ => "http://127.0.0.1:6443",
        };
        KubeListen.Validators.Add(CheckKubeListen);
        Kubeconfig = new Option<string>("--kubeconfig")
        {
            HelpName = "PATH",
            Description = "Write a kubeconfig for kubectl (and any client-go tool) here.",
            DefaultValueFactory = _ => ".vers/kubeconfig",
        };
        DevApiKey = new Option<string?>("--dev-api-key")
        {
            HelpName = "KEY",
            Description = $"API key of org \"dev\" ({ApiKeys.MinCustomKeyLength}+ printable characters); random and printed at start when not given.",
        };
        DevApiKey.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } key && ApiKeys.KeyIdOf(key) is null)
            {
                r.AddError($"--dev-api-key: must be at least {ApiKeys.MinCustomKeyLength} printable ASCII characters without spaces");
            }
        });
        NoSeed = new Option<bool>("--no-seed") { Description = "Start empty: no demo organisations, repositories or dev key Secret." };
        DataDir = new Option<string?>("--data-dir")
        {
            HelpName = "DIR",
            Description = "Keep the cluster's state in SQLite in this directory, which this host holds exclusively (survives restarts and power loss; seeding is idempotent; see the backup and restore commands). In memory when not given.",
        };
        SimLatency = Flags.Duration(
            "--sim-latency",
            fallback: null,
            "Every simulated KubeVirt/CDI/storage progress step (a volume provisioned, a snapshot cut, a DataVolume phase, a VM start, ...) takes this long, e.g. 2s or 500ms. No delay when not given.",
            "2s, 500ms");
        SimFault = new Option<string[]>("--sim-fault")
        {
            HelpName = "SPEC",
            Description = "Repeatable. deny-create=<resource plural> (a webhook refuses those creates with 403), " +
                "fail=<plural> (new datavolumes, virtualmachinesnapshots, virtualmachineclones or volumesnapshots reach their terminal failed state), " +
                "exclude-volumes (VM snapshots leave every disk out), unschedulable=<duration> (a started VM is ErrorUnschedulable that long).",
            DefaultValueFactory = _ => [],
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        SimFault.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                try
                {
                    new SimulatorOptions().Apply(token.Value);
                }
                catch (ArgumentException e)
                {
                    r.AddError(e.Message);
                }
            }
        });

        Root = new RootCommand(Description) { Listen, MetricsListen, KubeListen, Kubeconfig, DevApiKey, NoSeed, DataDir, SimLatency, SimFault };
        Root.Subcommands.Add(StorageCommands.Backup());
        Root.Subcommands.Add(StorageCommands.Restore());

        // Running the host is the root's own action (Program sets it); without one, a parse without a subcommand is an error.
        Root.SetAction(_ => 0);
    }

    public RootCommand Root { get; }

    public Option<string> Listen { get; }

    public Option<string> MetricsListen { get; }

    public Option<string> KubeListen { get; }

    public Option<string> Kubeconfig { get; }

    public Option<string?> DevApiKey { get; }

    public Option<bool> NoSeed { get; }

    public Option<string?> DataDir { get; }

    public Option<TimeSpan> SimLatency { get; }

    public Option<string[]> SimFault { get; }

    /// <summary>The host's own options, in help order (not --help and --version, which System.CommandLine adds).</summary>
    public IReadOnlyList<Option> HostOptions => [Listen, MetricsListen, KubeListen, Kubeconfig, DevApiKey, NoSeed, DataDir, SimLatency, SimFault];

    /// <summary>
    /// Parses <paramref name="args"/>: <c>--name value</c> and <c>--name=value</c>, no response files (an argument starting
    /// with @ is a value like any other).
    /// </summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, Flags.Parser);

    /// <summary>The host's arguments from a parse without errors.</summary>
    public HostArguments Read(ParseResult result)
    {
        if (result.Errors.Count > 0)
        {
            throw new InvalidOperationException("the command line has errors: " + string.Join("; ", result.Errors.Select(e => e.Message)));
        }

        var metrics = result.GetValue(MetricsListen)!;
        return new HostArguments(
            new AllInOneOptions
            {
                Listen = result.GetValue(Listen)!,
                MetricsListen = metrics == "off" ? null : metrics,
                KubeListen = result.GetValue(KubeListen)!,
                Kubeconfig = result.GetValue(Kubeconfig)!,
                DevApiKey = result.GetValue(DevApiKey),
                Seed = !result.GetValue(NoSeed),
                DataDir = result.GetValue(DataDir),
            },
            result.GetValue(SimLatency),
            result.GetValue(SimFault) ?? []);
    }

    /// <summary>The embedded API server binds one address: http://, an IP literal or localhost, a port.</summary>
    private static void CheckKubeListen(OptionResult result)
    {
        var value = result.GetValueOrDefault<string>();
        if (result.Implicit || value is null)
        {
            return;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
            || (uri.Host != "localhost" && !IPAddress.TryParse(uri.Host, out _)))
        {
            result.AddError($"--kube-listen: '{value}' is not an http:// URL with an IP address or localhost (e.g. http://127.0.0.1:6443)");
        }
    }
}
