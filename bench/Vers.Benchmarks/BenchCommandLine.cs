using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Vers.Operator.Hosting;

namespace Vers.Benchmarks;

/// <summary>What the fork benchmark (the in-process stack) is asked for.</summary>
public sealed record ForkBenchArguments(int Forks, int Concurrency, int Objects, int Warmup, string? JsonPath, bool Timeline);

/// <summary>What the host-memory benchmark (<see cref="HostMemory"/>, the real host process) is asked for.</summary>
public sealed record HostMemoryArguments(
    IReadOnlyList<int> Points,
    int Concurrency,
    TimeSpan Settle,
    TimeSpan AfterDeleteWait,
    bool InMemory,
    IReadOnlyDictionary<string, string> HostEnv,
    bool Heap,
    bool NoBuild,
    string? JsonPath);

/// <summary>
/// The fork benchmark's command line, parsed by System.CommandLine like the programs' (<see cref="Flags"/>): every flag
/// with its help text, default and check. Two modes: the fork benchmark (default) and <c>--host-memory</c>; a flag of
/// the other mode is an error rather than silently ignored. docs/benchmarks.md describes the runs.
/// </summary>
public sealed class BenchCommandLine
{
    public const string Description =
        "What a fork costs the control plane: the all-in-one stack in process, the KubeVirt/CDI simulator at zero delay, " +
        "forks through the real HTTP API; or, with --host-memory, the memory of the real all-in-one host process.\n" +
        "Run as: dotnet run -c Release --project bench/Vers.Benchmarks -- [options] (docs/benchmarks.md)";

    private const int ForkConcurrency = 32;
    private const int HostMemoryConcurrency = 8;
    private const int DefaultSettle = 20;
    private const int DefaultAfterDeleteWait = 150;

    public BenchCommandLine()
    {
        Forks = Flags.Number("--forks", 2000, "Forks in the throughput run.", minimum: 1);
        Concurrency = new Option<int?>("--concurrency")
        {
            HelpName = "N",
            Description = $"Clients forking at once: in the throughput run (default {ForkConcurrency}); with --host-memory, organisations forking at once (default {HostMemoryConcurrency}).",
            CustomParser = result => PositiveNumber(result, "--concurrency"),
        };
        Objects = Flags.Number(
            "--objects", 10000, "Fill the cluster with finished forks until it holds this many objects, then read latency and RSS there.", minimum: 0);
        Warmup = Flags.Number(
            "--warmup", 1000, "Forks on a throwaway stack first, so tiered JIT is in steady state while the measured stack starts empty.", minimum: 0);
        Json = new Option<string?>("--json") { HelpName = "PATH", Description = "Also write the figures as JSON to this file." };
        Timeline = new Option<bool>("--timeline") { Description = "Print one fork's object changes with their offsets (where the time goes) instead of the figures." };
        HostMemory = new Option<bool>("--host-memory")
        {
            Description = "Measure the real all-in-one host (src/LocalCluster, Release, its own process) at each point and after deleting what the forks made.",
        };
        Points = new Option<IReadOnlyList<int>?>("--points")
        {
            HelpName = "N,N,...",
            Description = "With --host-memory: the object counts to read the host's memory at. [default: 10000,50000]",
            CustomParser = ParsePoints,
        };
        Settle = Seconds("--settle", DefaultSettle, "With --host-memory: seconds to wait at each point before reading.");
        AfterDeleteWait = Seconds("--after-delete-wait", DefaultAfterDeleteWait, "With --host-memory: seconds to keep reading (every 15 s) after the deletion.");
        InMemory = new Option<bool>("--in-memory") { Description = "With --host-memory: the host keeps its state in memory (no data directory)." };
        HostEnv = new Option<IReadOnlyDictionary<string, string>>("--host-env")
        {
            HelpName = "NAME=VALUE,...",
            Description = "With --host-memory: environment for the host process, e.g. DOTNET_gcServer=1 to compare GC modes without a rebuild.",
            DefaultValueFactory = _ => new Dictionary<string, string>(StringComparer.Ordinal),
            CustomParser = ParseHostEnv,
        };
        Heap = new Option<bool>("--heap") { Description = "With --host-memory: also read the live heap by component from the suspended host (ClrMD, in a child process)." };
        NoBuild = new Option<bool>("--no-build") { Description = "With --host-memory: do not build src/LocalCluster (Release) first." };
        HeapOf = new Option<int?>("--heap-of")
        {
            HelpName = "PID",
            Description = "Internal (the child process of --heap): print the live heap of this process by component as JSON.",
            Hidden = true,
            CustomParser = result => PositiveNumber(result, "--heap-of"),
        };

        Root = new RootCommand(Description)
        {
            Forks, Concurrency, Objects, Warmup, Json, Timeline, HostMemory, Points, Settle, AfterDeleteWait, InMemory, HostEnv, Heap, NoBuild, HeapOf,
        };
        Root.Validators.Add(CheckMode);
        Root.SetAction(_ => 0);
    }

    public RootCommand Root { get; }

    public Option<int> Forks { get; }

    public Option<int?> Concurrency { get; }

    public Option<int> Objects { get; }

    public Option<int> Warmup { get; }

    public Option<string?> Json { get; }

    public Option<bool> Timeline { get; }

    public Option<bool> HostMemory { get; }

    public Option<IReadOnlyList<int>?> Points { get; }

    public Option<TimeSpan?> Settle { get; }

    public Option<TimeSpan?> AfterDeleteWait { get; }

    public Option<bool> InMemory { get; }

    public Option<IReadOnlyDictionary<string, string>> HostEnv { get; }

    public Option<bool> Heap { get; }

    public Option<bool> NoBuild { get; }

    public Option<int?> HeapOf { get; }

    /// <summary>Parses <paramref name="args"/>: <c>--name value</c> and <c>--name=value</c>, no response files.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, Flags.Parser);

    public ForkBenchArguments ReadForkBench(ParseResult result) => new(
        result.GetValue(Forks),
        result.GetValue(Concurrency) ?? ForkConcurrency,
        result.GetValue(Objects),
        result.GetValue(Warmup),
        result.GetValue(Json),
        result.GetValue(Timeline));

    public HostMemoryArguments ReadHostMemory(ParseResult result) => new(
        result.GetValue(Points) ?? [10000, 50000],
        result.GetValue(Concurrency) ?? HostMemoryConcurrency,
        result.GetValue(Settle) ?? TimeSpan.FromSeconds(DefaultSettle),
        result.GetValue(AfterDeleteWait) ?? TimeSpan.FromSeconds(DefaultAfterDeleteWait),
        result.GetValue(InMemory),
        result.GetValue(HostEnv)!,
        result.GetValue(Heap),
        result.GetValue(NoBuild),
        result.GetValue(Json));

    /// <summary>A flag of the other mode is a mistake (it would do nothing), so it is an error.</summary>
    private void CheckMode(CommandResult result)
    {
        var hostMemory = result.GetValue(HostMemory);
        Option[] others = hostMemory ? [Forks, Objects, Warmup, Timeline] : [Points, Settle, AfterDeleteWait, InMemory, HostEnv, Heap, NoBuild];
        foreach (var option in others)
        {
            if (result.GetResult(option) is { Implicit: false })
            {
                result.AddError($"{option.Name}: {(hostMemory ? "not with --host-memory" : "only with --host-memory")}");
            }
        }
    }

    private static int? PositiveNumber(ArgumentResult result, string name)
    {
        var text = result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        result.AddError($"{name}: '{text}' is not a positive whole number");
        return null;
    }

    /// <summary>A number of seconds (fractions allowed), zero or more; not given, the caller's <paramref name="fallback"/>.</summary>
    private static Option<TimeSpan?> Seconds(string name, int fallback, string description) => new(name)
    {
        HelpName = "SECONDS",
        Description = $"{description} [default: {fallback}]",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }

            result.AddError($"{name}: '{text}' is not a number of seconds (e.g. 20 or 2.5)");
            return null;
        },
    };

    private static IReadOnlyList<int>? ParsePoints(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        var points = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var point) || point <= 0)
            {
                result.AddError($"--points: '{text}' is not a comma-separated list of positive whole numbers (e.g. 10000,50000)");
                return [];
            }

            points.Add(point);
        }

        if (points.Count == 0)
        {
            result.AddError("--points: at least one object count (e.g. 10000,50000)");
        }

        return points.Order().ToList();
    }

    private static IReadOnlyDictionary<string, string> ParseHostEnv(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts[0].Length == 0 || !env.TryAdd(parts[0], parts.Length > 1 ? parts[1] : ""))
            {
                result.AddError($"--host-env: '{pair}' is not NAME=VALUE with a name given once (e.g. DOTNET_gcServer=1)");
            }
        }

        return env;
    }
}
