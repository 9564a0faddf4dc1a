using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Vers.LocalCluster.ApiServer;
using Vers.Operator.Hosting;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.ApiServer.Benchmarks;

/// <summary>
/// LocalCluster's embedded API server on loopback: create/get/list latency and throughput through the
/// same REST client the operator uses, and watch fan-out (W watchers, each must see every event).
/// Usage: dotnet run -c Release --project bench/Vers.ApiServer.Benchmarks -- [--objects N] [--watchers W] [--concurrency C]
/// With <c>--memory N</c>: the footprint and per-request cost with N realistic objects instead (see <see cref="MemoryBenchmark"/>).
/// Parsed by System.CommandLine with the programs' option kinds (<see cref="Flags"/>); <c>--help</c> describes each flag.
/// </summary>
public static class Program
{
    private static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap");

    public const string Description =
        "LocalCluster's embedded API server on loopback: create/get/list/patch latency and throughput through the operator's REST client, " +
        "and watch fan-out; or, with --memory N, the footprint and per-request cost with N realistic objects.\n" +
        "Run as: dotnet run -c Release --project bench/Vers.ApiServer.Benchmarks -- [options] (docs/benchmarks.md)";

    public static async Task<int> Main(string[] args)
    {
        var objects = Flags.Number("--objects", 2000, "ConfigMaps created per create run (twice: 1 client, then --concurrency clients).", minimum: 1);
        var watchers = Flags.Number("--watchers", 100, "Watchers on one collection in the fan-out run (each must see every event).", minimum: 1);
        var concurrency = Flags.Number("--concurrency", 8, "Clients in the concurrent create run.", minimum: 1);
        var memory = new Option<int?>("--memory")
        {
            HelpName = "N",
            Description = "Instead: the API server's footprint and per-request cost with N realistic objects.",
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
                {
                    return value;
                }

                result.AddError($"--memory: '{text}' is not a positive whole number");
                return null;
            },
        };
        var root = new RootCommand(Description) { objects, watchers, concurrency, memory };
        root.SetAction((parsed, ct) => parsed.GetValue(memory) is { } n
            ? RunMemoryAsync(n, ct)
            : RunAsync(parsed.GetValue(objects), parsed.GetValue(watchers), parsed.GetValue(concurrency), ct));
        var result = root.Parse(args, Flags.Parser);
        return await Flags.InvokeAsync(result);
    }

    private static async Task<int> RunMemoryAsync(int objects, CancellationToken ct)
    {
        await MemoryBenchmark.RunAsync(objects, ct);
        return 0;
    }

    private static async Task<int> RunAsync(int objects, int watchers, int concurrency, CancellationToken ct)
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0" }, ct);
        var rest = new KubeRestClient(server.CreateClient());

        Console.WriteLine($"LocalCluster API server on loopback, {Environment.ProcessorCount} cores, {objects} objects");
        await TimeEachAsync(200, 1, i => CreateAsync(rest, $"warm-{i}", ct));
        Report("create (1 client)", await TimeEachAsync(objects, 1, i => CreateAsync(rest, $"a-{i}", ct)));
        Report($"create ({concurrency} clients)", await TimeEachAsync(objects, concurrency, i => CreateAsync(rest, $"b-{i}", ct)));
        Report("get", await TimeEachAsync(objects, 1, i => rest.GetAsync<V1ConfigMap>(ConfigMaps, "default", $"a-{i}", ct)));
        Report("patch (merge)", await TimeEachAsync(objects, 1, i => rest.PatchAsync<V1ConfigMap>(ConfigMaps, "default", $"a-{i}", """{"data":{"v":"2"}}""", ct)));
        Report($"list ({2 * objects + 200} objects)", await TimeEachAsync(20, 1, _ => rest.ListAsync<V1ConfigMap>(ConfigMaps, "default", ct)));
        await WatchFanOutAsync(rest, watchers, Math.Min(objects, 500), ct);
        return 0;
    }

    private static Task CreateAsync(KubeRestClient rest, string name, CancellationToken ct) =>
        rest.CreateAsync(ConfigMaps, "default", new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["bench"] = "true" } },
            Data = new Dictionary<string, string> { ["v"] = "1", ["payload"] = new string('x', 512) },
        }, ct);

    private sealed record Timing(List<double> Latencies, TimeSpan Wall);

    private static async Task<Timing> TimeEachAsync(int count, int concurrency, Func<int, Task> op)
    {
        var latencies = new List<double>(count);
        var next = -1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var started = Stopwatch.GetTimestamp();
                await op(i);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(ms);
                }
            }
        })));
        return new Timing(latencies, wall.Elapsed);
    }

    private static void Report(string name, Timing t)
    {
        var sorted = t.Latencies.Order().ToArray();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        Console.WriteLine($"{name,-28} p50 {At(0.5),7:0.000} ms   p95 {At(0.95),7:0.000} ms   p99 {At(0.99),7:0.000} ms   {t.Latencies.Count / t.Wall.TotalSeconds,8:0} ops/s");
    }

    /// <summary>W watchers on one collection; E writes; every watcher must receive every event.</summary>
    private static async Task WatchFanOutAsync(KubeRestClient rest, int watchers, int events, CancellationToken ct)
    {
        await rest.CreateAsync(ResourceType.Namespace, null, new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "fanout" } }, ct);
        var rv = (await rest.ListAsync<V1ConfigMap>(ConfigMaps, "fanout", ct)).Metadata.ResourceVersion;
        var received = new int[watchers];
        var lastArrival = new long[watchers];
        using var stop = new CancellationTokenSource();
        var ready = new CountdownEvent(watchers);
        var tasks = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
        {
            var signalled = false;
            try
            {
                await foreach (var (type, _) in rest.WatchAsync<GenericObject>(ConfigMaps, "fanout", rv, stop.Token, timeoutSeconds: 600))
                {
                    if (type != k8s.WatchEventType.Added)
                    {
                        continue;
                    }

                    if (!signalled)
                    {
                        signalled = true;
                        ready.Signal();
                        continue;
                    }

                    if (Interlocked.Increment(ref received[w]) == events)
                    {
                        lastArrival[w] = Stopwatch.GetTimestamp();
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        })).ToList();

        // Like kube-apiserver, the server sends no bookmark before the revision moves: a first object, which every
        // watcher receives (live or replayed from rv), tells that all of them are connected.
        await rest.CreateAsync(ConfigMaps, "fanout", new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "ready" } }, ct);
        ready.Wait(TimeSpan.FromSeconds(30));
        var begin = Stopwatch.GetTimestamp();
        for (var i = 0; i < events; i++)
        {
            await rest.CreateAsync(ConfigMaps, "fanout", new V1ConfigMap
            {
                ApiVersion = "v1",
                Kind = "ConfigMap",
                Metadata = new V1ObjectMeta { Name = $"f-{i}" },
                Data = new Dictionary<string, string> { ["v"] = "1" },
            }, ct);
        }

        var all = Task.WhenAll(tasks);
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(120), ct));
        await stop.CancelAsync();
        var complete = received.Count(r => r == events);
        var elapsed = lastArrival.Where(t => t > 0).Select(t => Stopwatch.GetElapsedTime(begin, t).TotalMilliseconds).DefaultIfEmpty(double.NaN).Max();
        Console.WriteLine(
            $"watch fan-out: {watchers} watchers × {events} events: {complete}/{watchers} saw every event; last one done {elapsed:0} ms after the first write " +
            $"({(double)watchers * events / (elapsed / 1000):0} deliveries/s)");
    }
}
