using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vers.Operator.Hosting;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.LocalCluster.KubeVirt;
using Vers.LocalCluster.Seeding;
using Vers.Api.Crds;
using System.CommandLine;
using Vers.Kube.Client;

namespace Vers.Benchmarks;

/// <summary>
/// What a fork costs the control plane: the all-in-one stack in process, the KubeVirt/CDI simulator at
/// zero delay, forks through the real HTTP API. Prints a table and, with --json PATH, the figures as JSON.
/// Usage: dotnet run -c Release --project bench/Vers.Benchmarks -- [--forks N] [--concurrency C] [--objects O] [--warmup W] [--json PATH] [--timeline]
/// With --host-memory: the memory of the real host process instead (<see cref="HostMemory"/>). The flags are
/// <see cref="BenchCommandLine"/>'s; <c>--help</c> describes each.
/// </summary>
public static class Program
{
    private const string Key = "bench-dev-key-0123456789";

    public static async Task<int> Main(string[] args)
    {
        var cli = new BenchCommandLine();
        cli.Root.SetAction((parsed, ct) => parsed.GetValue(cli.HeapOf) is { } pid ? Task.FromResult(PrintHeap(pid))
            : parsed.GetValue(cli.HostMemory) ? HostMemory.RunAsync(cli.ReadHostMemory(parsed), ct)
            : RunAsync(cli.ReadForkBench(parsed)));
        var result = cli.Parse(args);
        return await Flags.InvokeAsync(result);
    }

    private static int PrintHeap(int pid)
    {
        HeapBreakdown.Print(pid);
        return 0;
    }

    private static async Task<int> RunAsync(ForkBenchArguments arguments)
    {
        var (forks, concurrency, targetObjects, warmupForks, jsonPath, timelineOnly) = arguments;
        var ct = CancellationToken.None;

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var counter = 0;
        string NextName() => $"bench-{Interlocked.Increment(ref counter):D6}";

        // Warm-up on a throwaway stack: tiered JIT (tier 1 with PGO) is process-wide, so the measured stack then starts
        // with an empty cluster yet runs steady-state code. Without it the first measurements time the JIT, not forks.
        if (warmupForks > 0)
        {
            Console.WriteLine($"Warming up: {warmupForks} forks at concurrency {concurrency} on a throwaway stack …");
            await using (var warm = await StartStackAsync(loggers, concurrency, ct))
            {
                using var warmHttp = ForkClient(warm);
                await RunForksAsync(warmHttp, warmupForks, concurrency, NextName, ct);
                await RunForksAsync(warmHttp, Math.Min(100, warmupForks), 1, NextName, ct);
            }

            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        Console.WriteLine($"Starting the measured all-in-one stack (simulator at zero delay) on {Environment.ProcessorCount} cores …");
        await using var host = await StartStackAsync(loggers, concurrency, ct);
        using var http = ForkClient(host);

        // This stack's own connection pools, buffers and GC budgets settle too (about 1,000 objects; the seed and
        // these forks are the "empty" cluster the 10k-object latency is compared with).
        await RunForksAsync(http, 100, concurrency, NextName, ct);
        await RunForksAsync(http, 20, 1, NextName, ct);
        if (timelineOnly)
        {
            await ForkTimeline.PrintAsync(host.Client, http, NextName(), ct);
            return 0;
        }

        host.KubeApi.Requests.Reset();
        var requestsBefore = RequestCounts.Read(host.KubeApi);
        var simulatorBefore = RequestCounts.ReadSimulator(host.KubeApi);
        var sequential = await RunForksAsync(http, Math.Clamp(forks / 10, 50, 300), 1, NextName, ct);
        var requestsAfter = RequestCounts.Read(host.KubeApi);
        var perFork = RequestCounts.PerFork(requestsBefore, requestsAfter, sequential.Latencies.Count);
        var simulatorPerFork = RequestCounts.PerFork(simulatorBefore, RequestCounts.ReadSimulator(host.KubeApi), sequential.Latencies.Count);
        var breakdown = RequestCounts.Describe(host.KubeApi, sequential.Latencies.Count).ToList();
        var simulatorBreakdown = RequestCounts.Describe(host.KubeApi, sequential.Latencies.Count, simulator: true).ToList();

        var (floor, floorOurs) = await MeasureFloorAsync(Math.Clamp(forks / 10, 50, 300), loggers, ct);

        // The "at 10k objects" point comes before the throughput run, so the cluster holds about the issue's 10,000
        // objects (not however many the throughput run leaves behind) when latency and RSS are read.
        Console.WriteLine($"Filling the cluster to {targetObjects} objects with finished forks …");
        var objectsNow = await CountObjectsAsync(host, ct);
        while (objectsNow < targetObjects)
        {
            var perForkObjects = Math.Max(1.0, objectsNow / (double)Math.Max(1, counter));
            var batch = (int)Math.Clamp(Math.Ceiling((targetObjects - objectsNow) / perForkObjects), 1, 200);
            await RunForksAsync(http, batch, concurrency, NextName, ct);
            objectsNow = await CountObjectsAsync(host, ct);
        }

        var atScale = await RunForksAsync(http, 100, 1, NextName, ct);
        var objects = await CountObjectsAsync(host, ct);
        var (rssMb, heapMb) = Memory();

        Console.WriteLine($"Throughput: {forks} forks at concurrency {concurrency} …");
        var gcBefore = GcFigures.Read();
        var wall = Stopwatch.StartNew();
        var concurrent = await RunForksAsync(http, forks, concurrency, NextName, ct);
        var forksPerSecond = concurrent.Latencies.Count / wall.Elapsed.TotalSeconds;
        var gc = GcFigures.Read() - gcBefore;
        var objectsEnd = await CountObjectsAsync(host, ct);
        var (rssEndMb, _) = Memory();

        var seq = Percentiles.Of(sequential.Latencies);
        var conc = Percentiles.Of(concurrent.Latencies);
        var flo = Percentiles.Of(floor);
        var floOurs = Percentiles.Of(floorOurs);
        var scale = Percentiles.Of(atScale.Latencies);
        var result = new JsonObject
        {
            ["forks"] = concurrent.Latencies.Count,
            ["concurrency"] = concurrency,
            ["fork_latency_ms"] = new JsonObject
            {
                ["concurrency_1"] = Json(seq),
                [$"concurrency_{concurrency}"] = Json(conc),
            },
            ["floor_latency_ms"] = new JsonObject { ["p50"] = Round(flo.P50), ["p95"] = Round(flo.P95) },
            ["ratio_p50_to_floor"] = Round(seq.P50 / flo.P50),
            // The floor without KubeVirt's, CDI's and the storage's writes, and the ratio against it.
            ["floor_ours_only_latency_ms"] = new JsonObject { ["p50"] = Round(floOurs.P50), ["p95"] = Round(floOurs.P95) },
            ["ratio_p50_to_floor_ours_only"] = Round(seq.P50 / floOurs.P50),
            ["forks_per_second"] = Round(forksPerSecond),
            ["api_requests_per_fork"] = new JsonObject
            {
                ["writes"] = Round(perFork.Writes),
                ["reads"] = Round(perFork.Reads),
                ["watches"] = Round(perFork.Watches),
            },
            // What the simulated KubeVirt, CDI and CSI storage asked of the API server per fork (Events included): on a
            // real cluster those controllers make these requests; here they share the process and its cores.
            ["simulator_requests_per_fork"] = new JsonObject
            {
                ["writes"] = Round(simulatorPerFork.Writes),
                ["reads"] = Round(simulatorPerFork.Reads),
            },
            ["rss_mb"] = Round(rssMb),
            ["managed_heap_mb"] = Round(heapMb),
            ["rss_mb_after_throughput_run"] = Round(rssEndMb),
            ["throughput_run"] = new JsonObject
            {
                ["cpu_ms_per_fork"] = Round(gc.CpuMs / Math.Max(1, concurrent.Latencies.Count)),
                ["allocated_kb_per_fork"] = Round(gc.AllocatedBytes / 1024.0 / Math.Max(1, concurrent.Latencies.Count)),
                ["gc_pause_percent"] = Round(100 * gc.PauseMs / wall.Elapsed.TotalMilliseconds),
                ["gc_collections"] = $"gen0 {gc.Gen0}, gen1 {gc.Gen1}, gen2 {gc.Gen2}",
            },
            ["objects_after_throughput_run"] = objectsEnd,
            ["objects_in_cluster"] = objects,
            ["latency_p50_ms_at_10k_objects"] = Round(scale.P50),
            ["forks_in_cluster"] = counter - warmupForks - Math.Min(100, warmupForks),
            ["warmup_forks"] = warmupForks,
            ["failures"] = sequential.Failures + concurrent.Failures + atScale.Failures,
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
        };

        Console.WriteLine();
        Console.WriteLine($"{"measure",-44} {"p50 ms",9} {"p95 ms",9} {"p99 ms",9}");
        Row("fork, concurrency 1", seq);
        Row($"fork, concurrency {concurrency}", conc);
        Row($"floor (all {FloorWorkload.OurWrites + FloorWorkload.KubeVirtWrites} writes back to back)", flo);
        Row($"floor, ours only ({FloorWorkload.OurWrites} writes, no KubeVirt)", floOurs);
        Row($"fork, concurrency 1, {objects} objects", scale);
        Console.WriteLine();
        Console.WriteLine($"p50 / floor p50:          {seq.P50 / flo.P50:0.00} (against ours only: {seq.P50 / floOurs.P50:0.00})");
        Console.WriteLine($"forks per second:         {forksPerSecond:0.0} (concurrency {concurrency}, {concurrent.Latencies.Count} forks)");
        Console.WriteLine(
            $"throughput run cost:      {gc.CpuMs / Math.Max(1, concurrent.Latencies.Count):0.0} ms CPU and {gc.AllocatedBytes / 1024.0 / Math.Max(1, concurrent.Latencies.Count):0} KB allocated per fork (whole process); " +
            $"GC paused {100 * gc.PauseMs / wall.Elapsed.TotalMilliseconds:0.0}% of the run (gen0 {gc.Gen0}, gen1 {gc.Gen1}, gen2 {gc.Gen2})");
        Console.WriteLine($"API requests per fork:    {perFork.Writes:0.0} writes, {perFork.Reads:0.0} reads, {perFork.Watches:0.0} watches (operator + shim, concurrency 1)");
        foreach (var line in breakdown)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine($"simulated KubeVirt/CDI/storage: {simulatorPerFork.Writes:0.0} writes, {simulatorPerFork.Reads:0.0} reads per fork (events included)");
        foreach (var line in simulatorBreakdown)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine($"RSS of the whole stack:   {rssMb:0} MB with {objects} objects (managed heap {heapMb:0} MB); {rssEndMb:0} MB with {objectsEnd} after the throughput run");
        Console.WriteLine($"failed forks:             {(int)result["failures"]!}");
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            Console.WriteLine($"wrote {jsonPath}");
        }

        return (int)result["failures"]! == 0 ? 0 : 1;
    }

    /// <summary>RSS and live managed heap after a full (not aggressive) collection: what the process holds, not its garbage.</summary>
    private static (double RssMb, double HeapMb) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var rss = Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0);
        var heap = GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024.0);
        var info = GC.GetGCMemoryInfo();
        Console.WriteLine(
            $"  memory: RSS {rss:0} MB, managed live {heap:0} MB, GC committed {info.TotalCommittedBytes / 1048576.0:0} MB, " +
            $"fragmented {info.FragmentedBytes / 1048576.0:0} MB, threads {Process.GetCurrentProcess().Threads.Count}");
        return (rss, heap);
    }

    private static Task<AllInOneHost> StartStackAsync(ILoggerFactory loggers, int concurrency, CancellationToken ct) =>
        AllInOneHost.StartAsync(
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                KubeListen = "http://127.0.0.1:0",
                Kubeconfig = null,
                DevApiKey = Key,
                LoggerFactory = loggers,
                OperatorWorkers = Math.Max(4, concurrency),
                ForkWaitTimeout = TimeSpan.FromMinutes(5),
                ApiRateLimit = null, // the per-org token bucket (20/s) would cap the throughput measured, not the control plane
            },
            ct);

    private static HttpClient ForkClient(AllInOneHost host)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = host.ApiAddress, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return http;
    }

    /// <summary>Process CPU, allocations and GC work, to be subtracted across a phase.</summary>
    private readonly record struct GcFigures(double CpuMs, long AllocatedBytes, double PauseMs, int Gen0, int Gen1, int Gen2)
    {
        public static GcFigures Read() => new(
            Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds,
            GC.GetTotalAllocatedBytes(),
            GC.GetTotalPauseDuration().TotalMilliseconds,
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2));

        public static GcFigures operator -(GcFigures a, GcFigures b) =>
            new(a.CpuMs - b.CpuMs, a.AllocatedBytes - b.AllocatedBytes, a.PauseMs - b.PauseMs, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2);
    }

    private sealed record RunResult(List<double> Latencies, int Failures);

    private static async Task<RunResult> RunForksAsync(HttpClient http, int count, int concurrency, Func<string> nextName, CancellationToken ct)
    {
        var latencies = new List<double>(count);
        var failures = 0;
        var remaining = count;
        async Task Worker()
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var body = $$"""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"{{nextName()}}"}""";
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("api/v1/repositories/fork", new StringContent(body, Encoding.UTF8, "application/json"), ct);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if ((int)response.StatusCode == 201)
                {
                    lock (latencies)
                    {
                        latencies.Add(elapsed);
                    }
                }
                else
                {
                    Interlocked.Increment(ref failures);
                    Console.Error.WriteLine($"fork failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker, ct)));
        return new RunResult(latencies, failures);
    }

    /// <summary>Both floors on one fresh API server, their iterations interleaved so that drift hits both alike.</summary>
    private static async Task<(List<double> All, List<double> Ours)> MeasureFloorAsync(int iterations, ILoggerFactory loggers, CancellationToken ct)
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0", LoggerFactory = loggers }, ct);
        var client = server.CreateClient();
        await new CrdInstaller(client, loggers.CreateLogger("floor")).InstallAsync(CrdGenerator.All().Concat(KubeVirtCrds.All), TimeSpan.FromSeconds(30), ct);
        await new RepositoryPublisher(client).EnsureOrgAsync("dev", ct);
        var all = new FloorWorkload(client, withKubeVirt: true);
        var ours = new FloorWorkload(client, withKubeVirt: false);
        await all.RunAsync("warmup-all", 20, ct);
        await ours.RunAsync("warmup-ours", 20, ct);
        var (allSamples, ourSamples) = (new List<double>(iterations), new List<double>(iterations));
        for (var i = 0; i < iterations; i++)
        {
            allSamples.AddRange(await all.RunAsync($"floor-all-{i:D4}", 1, ct));
            ourSamples.AddRange(await ours.RunAsync($"floor-ours-{i:D4}", 1, ct));
        }

        return (allSamples, ourSamples);
    }

    private static async Task<int> CountObjectsAsync(AllInOneHost host, CancellationToken ct)
    {
        var rest = new KubeRestClient(host.Client);
        var total = 0;
        foreach (var type in Vers.Api.KubeVirt.KubeVirtTypes.All.Concat(CrdGenerator.EntityTypes.Select(t => Vers.Kube.ResourceType.For(t))))
        {
            var list = await rest.ListAsync<Vers.Kube.GenericObject>(type, null, ct);
            total += list.Items.Count;
        }

        return total;
    }

    private static JsonObject Json(Percentiles p) => new() { ["p50"] = Round(p.P50), ["p95"] = Round(p.P95), ["p99"] = Round(p.P99) };

    private static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 2) : -1;

    private static void Row(string name, Percentiles p) =>
        Console.WriteLine($"{name,-44} {p.P50,9:0.00} {p.P95,9:0.00} {p.P99,9:0.00}");
}
