using System.CommandLine;
using Vers.Api.Crds;
using Vers.Operator.Forks;

namespace Vers.Operator.Hosting;

/// <summary>What the operator's command line asks for (the lease namespace is settled at start, from the kubeconfig too).</summary>
public sealed record OperatorArguments(string HealthListen, string? Kubeconfig, bool LeaderElect, string? LeaderElectionNamespace, VersOperatorOptions Options);

/// <summary>
/// The operator's command line, parsed by System.CommandLine as the all-in-one host's is: every flag with its help
/// text, default and check; a bad value is a parse error naming the flag (the program answers it with exit code 2).
/// The Helm chart passes these flags (<c>charts/vers/templates/operator/deployment.yaml</c>).
/// </summary>
public sealed class OperatorCommandLine
{
    public const string Description =
        "The Vers operator: reconciles RepositoryForks, Repositories and Commits with KubeVirt and CDI; health and " +
        "metrics on --health-listen; with leader election, reconciles only while holding the Lease vers-operator-leader.";

    public const string LeaseName = "vers-operator-leader";

    public OperatorCommandLine()
    {
        var defaults = new VersOperatorOptions();
        HealthListen = Flags.Url("--health-listen", "http://0.0.0.0:8081", "/healthz, /readyz and /metrics listen here.");
        Kubeconfig = new Option<string?>("--kubeconfig")
        {
            HelpName = "PATH",
            Description = "The cluster to work on; when not given $KUBECONFIG, else ~/.kube/config, else the pod's ServiceAccount.",
        };
        LeaderElect = new Option<bool>("--leader-elect")
        {
            Description = $"Reconcile only while holding the Lease {LeaseName} (several replicas); --leader-elect=false reconciles unconditionally.",
            DefaultValueFactory = _ => true,
        };
        LeaderElectionNamespace = new Option<string?>("--leader-election-namespace")
        {
            HelpName = "NS",
            Description = "The Lease's namespace; when not given $POD_NAMESPACE, else the kubeconfig context's namespace, else default.",
        };
        CloneTimeout = Flags.Duration(
            "--clone-timeout", defaults.Forks.CloneTimeout, "How long a fork's VM may take to exist with its disks populated before the fork fails with Timeout.", Examples);
        StartTimeout = Flags.Duration("--start-timeout", defaults.Forks.StartTimeout, "How long the new VM may then take to run.", Examples);
        SnapshotTimeout = Flags.Duration(
            "--snapshot-timeout", defaults.Forks.SnapshotTimeout, "How long the commit's VirtualMachineSnapshot may then take to become readyToUse.", Examples);
        MaxConcurrentReconciles = Flags.Number(
            "--max-concurrent-reconciles", defaults.Workers, "Forks reconciled at once (one fork is never reconciled twice at once).", minimum: 1);
        RequeueBaseDelay = Flags.Duration(
            "--requeue-base-delay", defaults.RequeueBaseDelay, "Per-fork retry backoff after an error doubles from this...", Examples);
        RequeueMaxDelay = Flags.Duration("--requeue-max-delay", defaults.RequeueMaxDelay, "...up to this.", Examples);

        CrdDirectories = new Argument<string[]>("DIR")
        {
            Description = "Directories to write the CRDs to.",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => ["config/crds", "charts/vers/crds"],
        };
        CrdDirectories.Validators.Add(r =>
        {
            foreach (var token in r.Tokens.Where(t => t.Value.StartsWith('-')))
            {
                r.AddError($"crds: unknown option '{token.Value}' (it takes directories only)");
            }
        });
        Crds = new Command("crds", "Write the CRDs generated from the C# types (the chart ships the same files as config/crds; a test keeps both current).")
        {
            CrdDirectories,
        };
        Crds.SetAction(parsed =>
        {
            foreach (var directory in parsed.GetValue(CrdDirectories)!)
            {
                CrdGenerator.WriteTo(directory);
                Console.WriteLine($"Wrote {CrdGenerator.EntityTypes.Count} CRDs to {directory}");
            }

            return 0;
        });

        Root = new RootCommand(Description) { HealthListen, Kubeconfig, LeaderElect, LeaderElectionNamespace, CloneTimeout, StartTimeout, SnapshotTimeout, MaxConcurrentReconciles, RequeueBaseDelay, RequeueMaxDelay };
        Root.Subcommands.Add(Crds);

        // Running the operator is the root's own action (Program sets it); without one, a parse without a subcommand is an error.
        Root.SetAction(_ => 0);
    }

    private const string Examples = "90s, 15m, 1h30m";

    public RootCommand Root { get; }

    public Command Crds { get; }

    public Argument<string[]> CrdDirectories { get; }

    public Option<string> HealthListen { get; }

    public Option<string?> Kubeconfig { get; }

    public Option<bool> LeaderElect { get; }

    public Option<string?> LeaderElectionNamespace { get; }

    public Option<TimeSpan> CloneTimeout { get; }

    public Option<TimeSpan> StartTimeout { get; }

    public Option<TimeSpan> SnapshotTimeout { get; }

    public Option<int> MaxConcurrentReconciles { get; }

    public Option<TimeSpan> RequeueBaseDelay { get; }

    public Option<TimeSpan> RequeueMaxDelay { get; }

    /// <summary>The operator's own options, in help order (not --help and --version, which System.CommandLine adds).</summary>
    public IReadOnlyList<Option> OperatorOptions =>
        [HealthListen, Kubeconfig, LeaderElect, LeaderElectionNamespace, CloneTimeout, StartTimeout, SnapshotTimeout, MaxConcurrentReconciles, RequeueBaseDelay, RequeueMaxDelay];

    /// <summary>Parses <paramref name="args"/>: <c>--name value</c> and <c>--name=value</c>, no response files.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, Flags.Parser);

    /// <summary>The operator's arguments from a parse without errors.</summary>
    public OperatorArguments Read(ParseResult result)
    {
        if (result.Errors.Count > 0)
        {
            throw new InvalidOperationException("the command line has errors: " + string.Join("; ", result.Errors.Select(e => e.Message)));
        }

        return new OperatorArguments(
            result.GetValue(HealthListen)!,
            result.GetValue(Kubeconfig),
            result.GetValue(LeaderElect),
            result.GetValue(LeaderElectionNamespace),
            new VersOperatorOptions
            {
                Forks = new ForkOptions
                {
                    CloneTimeout = result.GetValue(CloneTimeout),
                    StartTimeout = result.GetValue(StartTimeout),
                    SnapshotTimeout = result.GetValue(SnapshotTimeout),
                },
                Workers = result.GetValue(MaxConcurrentReconciles),
                RequeueBaseDelay = result.GetValue(RequeueBaseDelay),
                RequeueMaxDelay = result.GetValue(RequeueMaxDelay),
            });
    }
}
