using System.CommandLine;
using k8s;
using Vers.ApiShim.Auth;
using Vers.Operator.Hosting;

namespace Vers.ApiShim.Hosting;

/// <summary>A <c>keys</c> or <c>orgs</c> command with its arguments, to run with a client of the cluster; answers the exit code.</summary>
public delegate Task<int> AdminCommand(IKubernetes client, string releaseNamespace, TextWriter stdout, TextWriter stderr, CancellationToken ct);

/// <summary>
/// What the API shim's command line asks for: the cluster to talk to, and either the server's options
/// (<see cref="Command"/> null; its release namespace is settled at start, from the kubeconfig too) or a command.
/// </summary>
public sealed record ApiShimArguments(string? Kubeconfig, string? Context, string? ReleaseNamespace, ApiShimOptions Options, AdminCommand? Command);

/// <summary>
/// The API shim's command line, parsed by System.CommandLine as the all-in-one host's is: every flag with its help text,
/// default and check; a bad value is a parse error naming the flag (the program answers it with exit code 2). Without a
/// command it serves the fork API (the Helm chart passes these flags: <c>charts/vers/templates/api-shim/deployment.yaml</c>);
/// <c>keys</c> and <c>orgs</c> manage API keys and organisations (<see cref="KeysCommand"/>, <see cref="OrgsCommand"/>).
/// </summary>
public sealed class ApiShimCommandLine
{
    public const string Description =
        "The Vers fork API (the API shim): turns fork requests into RepositoryFork resources and answers from their status. " +
        "Durations are seconds or Go-style (90s, 10m); a rate of 0 per second, or a cap of 0, switches that limit off.";

    public const string DefaultListen = "http://0.0.0.0:8080";

    public const string DefaultMetricsListen = "http://0.0.0.0:9090";

    private const string Examples = "120, 90s, 10m";

    private readonly Dictionary<Command, Func<ParseResult, AdminCommand>> _commands = [];

    public ApiShimCommandLine()
    {
        var defaults = new ApiShimOptions();
        Kubeconfig = new Option<string?>("--kubeconfig")
        {
            HelpName = "PATH",
            Description = "The cluster to talk to; when not given $KUBECONFIG, else ~/.kube/config, else the pod's ServiceAccount.",
            Recursive = true,
        };
        Context = new Option<string?>("--context") { HelpName = "NAME", Description = "The kubeconfig context to use instead of its current one.", Recursive = true };
        ReleaseNamespace = new Option<string?>("--release-namespace")
        {
            HelpName = "NS",
            Description = "Where the API key Secrets live; when not given $POD_NAMESPACE, else the kubeconfig context's namespace, else vers-system.",
            Recursive = true,
        };
        Listen = Flags.Url("--listen", DefaultListen, "The fork API, /healthz, /readyz and /openapi/v1.json listen here.");
        MetricsListen = Flags.Url("--metrics-listen", DefaultMetricsListen, "/metrics listens here; 'off' serves it on the --listen port.", allowOff: true);
        WaitTimeout = Flags.Duration(
            "--wait-timeout", defaults.WaitTimeout, "How long a synchronous fork request waits for its fork before answering 500 with the operation to poll.", Examples, wholeSeconds: true);
        ForkTtl = Flags.Duration(
            "--fork-ttl", defaults.ForkTtl, "How long a finished fork (and its idempotency key) is kept.", Examples, wholeSeconds: true);
        FailedForkTtl = Flags.Duration(
            "--failed-fork-ttl", defaults.FailedForkTtl, "How long a failed fork is kept, when shorter than --fork-ttl.", Examples, wholeSeconds: true);
        MaxUnfinishedForks = Flags.Number(
            "--max-unfinished-forks", defaults.MaxUnfinishedForksPerOrg ?? 0, "Unfinished forks an org may have before a new one answers 429; 0: no cap.", minimum: 0);
        RateLimitBurst = Flags.Number("--rate-limit-burst", defaults.RateLimit!.Burst, "Requests an org may make at once (a token bucket per org).", minimum: 0);
        RateLimitPerSecond = Flags.Number(
            "--rate-limit-per-second", defaults.RateLimit.TokensPerPeriod, "Requests per second an org's bucket refills with; 0 switches the limit off.", minimum: 0);
        UnauthenticatedRateLimitBurst = Flags.Number(
            "--unauthenticated-rate-limit-burst", defaults.UnauthenticatedRateLimit!.Burst, "Requests without a valid API key a client address may make at once.", minimum: 0);
        UnauthenticatedRateLimitPerSecond = Flags.Number(
            "--unauthenticated-rate-limit-per-second", defaults.UnauthenticatedRateLimit.TokensPerPeriod,
            "Requests per second a client address's bucket refills with; 0 switches the limit off.", minimum: 0);

        Root = new RootCommand(Description)
        {
            Kubeconfig, Context, ReleaseNamespace, Listen, MetricsListen, WaitTimeout, ForkTtl, FailedForkTtl, MaxUnfinishedForks,
            RateLimitBurst, RateLimitPerSecond, UnauthenticatedRateLimitBurst, UnauthenticatedRateLimitPerSecond,
        };
        Root.Subcommands.Add(KeysCommands());
        Root.Subcommands.Add(OrgsCommands());

        // Serving is the root's own action (Program sets the actions); without one, a parse without a subcommand is an error.
        Root.SetAction(_ => 0);
    }

    public RootCommand Root { get; }

    public Option<string?> Kubeconfig { get; }

    public Option<string?> Context { get; }

    public Option<string?> ReleaseNamespace { get; }

    public Option<string> Listen { get; }

    public Option<string> MetricsListen { get; }

    public Option<TimeSpan> WaitTimeout { get; }

    public Option<TimeSpan> ForkTtl { get; }

    public Option<TimeSpan> FailedForkTtl { get; }

    public Option<int> MaxUnfinishedForks { get; }

    public Option<int> RateLimitBurst { get; }

    public Option<int> RateLimitPerSecond { get; }

    public Option<int> UnauthenticatedRateLimitBurst { get; }

    public Option<int> UnauthenticatedRateLimitPerSecond { get; }

    /// <summary>The server's own options, in help order (not --help and --version, which System.CommandLine adds).</summary>
    public IReadOnlyList<Option> ServerOptions =>
    [
        Kubeconfig, Context, ReleaseNamespace, Listen, MetricsListen, WaitTimeout, ForkTtl, FailedForkTtl, MaxUnfinishedForks,
        RateLimitBurst, RateLimitPerSecond, UnauthenticatedRateLimitBurst, UnauthenticatedRateLimitPerSecond,
    ];

    /// <summary>Parses <paramref name="args"/>: <c>--name value</c> and <c>--name=value</c>, no response files.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, Flags.Parser);

    /// <summary>Runs <paramref name="action"/> with the arguments of whatever the command line asks for (serving or a command).</summary>
    public void SetAction(Func<ApiShimArguments, CancellationToken, Task<int>> action)
    {
        foreach (var command in _commands.Keys.Append(Root))
        {
            command.SetAction((parsed, ct) => action(Read(parsed), ct));
        }
    }

    /// <summary>The shim's arguments from a parse without errors.</summary>
    public ApiShimArguments Read(ParseResult result)
    {
        if (result.Errors.Count > 0)
        {
            throw new InvalidOperationException("the command line has errors: " + string.Join("; ", result.Errors.Select(e => e.Message)));
        }

        var defaults = new ApiShimOptions();
        var metrics = result.GetValue(MetricsListen)!;
        var cap = result.GetValue(MaxUnfinishedForks);
        var perSecond = result.GetValue(RateLimitPerSecond);
        var anonymousPerSecond = result.GetValue(UnauthenticatedRateLimitPerSecond);
        var options = defaults with
        {
            Listen = result.GetValue(Listen)!,
            MetricsListen = metrics is "off" ? null : metrics,
            WaitTimeout = result.GetValue(WaitTimeout),
            ForkTtl = result.GetValue(ForkTtl),
            FailedForkTtl = result.GetValue(FailedForkTtl),
            MaxUnfinishedForksPerOrg = cap == 0 ? null : cap,
            RateLimit = perSecond == 0
                ? null
                : new OrgRateLimit { Burst = result.GetValue(RateLimitBurst), TokensPerPeriod = perSecond, Period = TimeSpan.FromSeconds(1) },
            UnauthenticatedRateLimit = anonymousPerSecond == 0
                ? null
                : new OrgRateLimit { Burst = result.GetValue(UnauthenticatedRateLimitBurst), TokensPerPeriod = anonymousPerSecond, Period = TimeSpan.FromSeconds(1) },
        };
        return new ApiShimArguments(
            result.GetValue(Kubeconfig),
            result.GetValue(Context),
            result.GetValue(ReleaseNamespace),
            options,
            _commands.TryGetValue(result.CommandResult.Command, out var command) ? command(result) : null);
    }

    private Command KeysCommands()
    {
        var org = new Option<string>("--org") { HelpName = "ORG", Description = "The organisation the key belongs to (it must exist).", Required = true };
        org.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is "")
            {
                r.AddError("--org: must not be empty");
            }
        });
        var create = new Command("create", "Create an API key for an organisation; the key is printed on stdout, only now.") { org };
        var keyId = new Argument<string>("KEY_ID") { Description = "The key id (KEY ID in keys list)." };
        var revoke = new Command("revoke", "Revoke an API key.") { keyId };
        var list = new Command("list", "List the API keys: id, organisation, creation time.");
        Register(create, parsed => (client, ns, stdout, stderr, ct) => KeysCommand.CreateAsync(client, ns, parsed.GetValue(org)!, stdout, stderr, ct));
        Register(revoke, parsed => (client, ns, stdout, stderr, ct) => KeysCommand.RevokeAsync(client, ns, parsed.GetValue(keyId)!, stdout, stderr, ct));
        Register(list, _ => (client, ns, stdout, _, ct) => KeysCommand.ListAsync(client, ns, stdout, ct));
        return new Command("keys", "Manage API keys: Secrets in --release-namespace holding each key's SHA-256 and organisation.") { create, revoke, list };
    }

    private Command OrgsCommands()
    {
        var org = new Argument<string>("ORG") { Description = "The organisation: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit." };
        var ns = new Option<string?>("--namespace") { HelpName = "NS", Description = "Its namespace (made, or an existing unlabelled one); ORG when not given." };
        var create = new Command("create", "Create an organisation: a namespace labelled vers.sh/org=ORG.") { org, ns };
        var list = new Command("list", "List the organisations and their namespaces.");
        Register(create, parsed => (client, _, stdout, stderr, ct) => OrgsCommand.CreateAsync(client, parsed.GetValue(org)!, parsed.GetValue(ns), stdout, stderr, ct));
        Register(list, _ => (client, _, stdout, _, ct) => OrgsCommand.PrintAsync(client, stdout, ct));
        return new Command("orgs", "Manage organisations: namespaces labelled vers.sh/org=<org>.") { create, list };
    }

    private void Register(Command command, Func<ParseResult, AdminCommand> admin)
    {
        _commands.Add(command, admin);
        command.SetAction(_ => 0);
    }
}
