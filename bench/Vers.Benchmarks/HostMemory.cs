using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Vers.ApiShim.Auth;
using Vers.LocalCluster.Seeding;

namespace Vers.Benchmarks;

/// <summary>
/// The memory of the real all-in-one host (<c>src/LocalCluster</c>, Release build, its own process and GC settings): RSS
/// when it has started, when the cluster holds each of the given numbers of objects of the fork mix (forks and all they
/// create), and after every object the forks made is deleted again. Forks go through the fork API at modest
/// concurrency, one organisation per client (each its own namespace, key and rate limit), so deleting those namespaces
/// removes exactly what the forks made. Prints figures; asserts nothing.
/// Usage: dotnet run -c Release --project bench/Vers.Benchmarks -- --host-memory [--points 10000,50000] [--concurrency 8]
/// [--settle 20] [--after-delete-wait 150] [--in-memory] [--host-env NAME=VALUE,...] [--heap] [--no-build] [--json PATH]
/// </summary>
public static partial class HostMemory
{
    private const string DevKey = "bench-dev-key-0123456789";
    private const string ReleaseNamespace = "vers-system";

    // Events have a second endpoint on the same storage (events.k8s.io); counting both would count each Event twice.
    private static readonly HashSet<string> AliasGroups = ["events.k8s.io"];

    public static async Task<int> RunAsync(HostMemoryArguments arguments, CancellationToken ct)
    {
        var (points, concurrency, settle, afterDeleteWait, inMemory, hostEnv, heap, noBuild, jsonPath) = arguments;

        var root = RepositoryRoot();
        if (!noBuild)
        {
            Console.WriteLine("Building the host (Release) …");
            await RunToolAsync("dotnet", ["build", "-c", "Release", "--nologo", "-v", "q", Path.Combine(root, "src", "LocalCluster")], ct);
        }

        var work = Directory.CreateTempSubdirectory("vers-host-memory-");
        var result = new JsonObject { ["concurrency"] = concurrency, ["host_env"] = string.Join(",", hostEnv.Select(kv => $"{kv.Key}={kv.Value}")) };
        try
        {
            await using var host = await HostProcess.StartAsync(
                Path.Combine(root, "src", "LocalCluster", "bin", "Release", "net10.0", "Vers.LocalCluster.dll"),
                work.FullName, inMemory, hostEnv, ct);
            Console.WriteLine($"Host pid {host.Pid}: fork API {host.ForkApi}, Kubernetes API {host.KubeApi}; GC: {host.GcMode()}");
            using var kube = new HttpClient { BaseAddress = host.KubeApi, Timeout = TimeSpan.FromMinutes(5) };
            using var client = new Kubernetes(new KubernetesClientConfiguration { Host = host.KubeApi.ToString() });

            await Task.Delay(settle, ct);
            var baseline = await ReadPointAsync("baseline (started, seeded)", host, kube, ct);
            result["baseline"] = baseline.Json;

            // One org per client: its own namespace (deleted at the end), key and per-org rate limit.
            var orgs = new List<(string Org, string Key)>();
            var publisher = new RepositoryPublisher(client);
            for (var i = 0; i < concurrency; i++)
            {
                var org = $"bench-{i:D2}";
                await publisher.EnsureOrgAsync(org, ct);
                var (key, _) = await ApiKeys.CreateAsync(client, ReleaseNamespace, org, ct);
                orgs.Add((org, key));
            }

            var forker = new Forker(host.ForkApi, orgs);
            var peak = baseline;
            var readings = new JsonArray();
            var objects = baseline.Objects;
            foreach (var target in points)
            {
                Console.WriteLine($"Forking until the cluster holds {target} objects …");
                var wall = Stopwatch.StartNew();
                var forksBefore = forker.Succeeded;
                while (objects < target)
                {
                    // A fork leaves about the same number of objects each time; aim a batch at the target.
                    var perFork = forker.Succeeded == 0 ? 20.0 : Math.Max(1.0, (objects - baseline.Objects) / (double)forker.Succeeded);
                    var batch = (int)Math.Clamp(Math.Ceiling((target - objects) / perFork), 1, 200);
                    await forker.RunAsync(batch, ct);
                    objects = (await CountAsync(kube, ct)).Total;
                }

                var forksPerSecond = (forker.Succeeded - forksBefore) / wall.Elapsed.TotalSeconds;
                Console.WriteLine($"  {forker.Succeeded} forks so far ({forksPerSecond:0.0} forks/s at concurrency {concurrency} in this step), {forker.Failed} failed");
                await Task.Delay(settle, ct);
                peak = await ReadPointAsync($"at {target} objects", host, kube, ct, heap);
                peak.Json["forks"] = forker.Succeeded;
                peak.Json["forks_per_second"] = Math.Round(forksPerSecond, 1);
                readings.Add(peak.Json);
            }

            result["points"] = readings;
            Console.WriteLine($"Deleting the {orgs.Count} orgs' namespaces (everything the forks made) …");
            var deleteWall = Stopwatch.StartNew();
            foreach (var (org, _) in orgs)
            {
                using var response = await kube.DeleteAsync($"api/v1/namespaces/{org}", ct);
                response.EnsureSuccessStatusCode();
            }

            var remaining = await WaitForDeletionAsync(kube, orgs.Select(o => o.Org).ToList(), baseline.Objects, ct);
            Console.WriteLine($"  deleted in {deleteWall.Elapsed.TotalSeconds:0} s; {remaining} objects left");
            var afterDelete = await ReadPointAsync("after deleting, at once", host, kube, ct);

            // The host returns memory once the watch history has let the deleted objects go (75 s) and it has looked
            // again: RSS every 15 s until then, and the settled figure after.
            for (var waited = TimeSpan.Zero; waited < afterDeleteWait; waited += TimeSpan.FromSeconds(15))
            {
                await Task.Delay(TimeSpan.FromSeconds(15), ct);
                Console.WriteLine($"  {waited.TotalSeconds + 15:0} s after deleting: RSS {host.RssMb():0} MB");
            }

            var settled = await ReadPointAsync($"after deleting, {afterDeleteWait.TotalSeconds:0} s idle", host, kube, ct, heap);

            var growth = peak.RssMb - baseline.RssMb;
            var returned = growth <= 0 ? 0 : (peak.RssMb - settled.RssMb) / growth;
            result["after_delete"] = afterDelete.Json;
            result["after_delete_settled"] = settled.Json;
            result["growth_returned"] = Math.Round(returned, 3);
            result["failed_forks"] = forker.Failed;
            result["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}";

            Console.WriteLine();
            Console.WriteLine($"{"point",-32} {"objects",8} {"RSS MB",8} {"heap MB",8} {"GC committed MB",16}");
            foreach (var p in new[] { baseline }.Concat(readings.Select(r => Point.FromJson(r!.AsObject()))).Append(afterDelete).Append(settled))
            {
                Console.WriteLine($"{p.Name,-32} {p.Objects,8} {p.RssMb,8:0} {p.HeapMb,8:0} {p.CommittedMb,16:0}");
            }

            Console.WriteLine();
            Console.WriteLine($"growth {growth:0} MB (baseline → {peak.Objects} objects); returned after deleting: {peak.RssMb - settled.RssMb:0} MB = {returned:P0}");
            Console.WriteLine($"failed forks: {forker.Failed}");
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
                Console.WriteLine($"wrote {jsonPath}");
            }

            return forker.Failed == 0 ? 0 : 1;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private sealed record Point(string Name, int Objects, double RssMb, double HeapMb, double CommittedMb, JsonObject Json)
    {
        public static Point FromJson(JsonObject json) => new(
            (string)json["name"]!, (int)json["objects"]!, (double)json["rss_mb"]!, (double)json["heap_mb"]!, (double)json["gc_committed_mb"]!, json);
    }

    /// <summary>Objects, RSS and the GC's own figures (heap after its last collection, committed) from the host's /metrics.</summary>
    private static async Task<Point> ReadPointAsync(string name, HostProcess host, HttpClient kube, CancellationToken ct, bool heap = false)
    {
        var counts = await CountAsync(kube, ct);
        var rss = host.RssMb();
        var metrics = await host.GcMetricsAsync(ct);
        var json = new JsonObject
        {
            ["name"] = name,
            ["objects"] = counts.Total,
            ["rss_mb"] = Math.Round(rss, 1),
            ["heap_mb"] = Math.Round(metrics.HeapMb, 1),
            ["gc_committed_mb"] = Math.Round(metrics.CommittedMb, 1),
            ["gc_fragmented_mb"] = Math.Round(metrics.FragmentedMb, 1),
            ["gc_collections"] = metrics.Collections,
        };
        Console.WriteLine(
            $"  {name}: {counts.Total} objects, RSS {rss:0} MB, heap after last GC {metrics.HeapMb:0} MB (fragmented {metrics.FragmentedMb:0}), " +
            $"GC committed {metrics.CommittedMb:0} MB, collections {metrics.Collections}");
        Console.WriteLine("    by resource: " + string.Join(", ", counts.ByResource.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
        if (heap)
        {
            var breakdown = await HeapBreakdown.ReadInChildAsync(host.Pid, ct);
            json["live_heap_mb"] = Math.Round(breakdown.LiveBytes / 1048576.0, 1);
            json["heap_objects_incl_garbage_mb"] = Math.Round(breakdown.AllObjectBytes / 1048576.0, 1);
            var parts = new JsonObject();
            Console.WriteLine($"    live heap {breakdown.LiveBytes / 1048576.0:0.0} MB (objects on the heap, garbage included: {breakdown.AllObjectBytes / 1048576.0:0.0} MB); by component (claimed in this order / exclusive):");
            foreach (var part in breakdown.Parts)
            {
                Console.WriteLine($"      {part.Name,-72} {part.ClaimedBytes / 1048576.0,7:0.0} MB {part.ExclusiveBytes / 1048576.0,7:0.0} MB");
                parts[part.Name] = new JsonObject { ["claimed_mb"] = Math.Round(part.ClaimedBytes / 1048576.0, 1), ["exclusive_mb"] = Math.Round(part.ExclusiveBytes / 1048576.0, 1) };
            }

            json["heap_by_component"] = parts;
            var dup = breakdown.Strings;
            json["duplicate_strings_mb"] = Math.Round(dup.WastedBytes / 1048576.0, 1);
            Console.WriteLine($"    strings: {dup.Strings} live, {dup.DuplicateStrings} of them copies of another ({dup.WastedBytes / 1048576.0:0.0} MB); " +
                string.Join(", ", dup.ByShape.Select(t => $"{t.Type} {t.Count} copies {t.Bytes / 1048576.0:0.0} MB")) + "; costliest copied values:");
            foreach (var (value, bytes, count) in dup.Top.Take(8))
            {
                Console.WriteLine($"      {bytes / 1048576.0,7:0.00} MB {count,9}× \"{value}\"");
            }

            Console.WriteLine("    largest types of the live heap:");
            foreach (var (type, bytes, count) in breakdown.TopTypes.Take(15))
            {
                Console.WriteLine($"      {bytes / 1048576.0,7:0.0} MB {count,9} {type}");
            }

            // Where a leak shows: what keeps the strings and byte arrays alive (after a deletion, nothing should).
            Console.WriteLine("    strings and byte arrays by holder (first referrer on a walk from the GC roots <- its own):");
            foreach (var (holder, bytes, count) in breakdown.Holders)
            {
                Console.WriteLine($"      {bytes / 1048576.0,7:0.0} MB {count,9} {holder}");
            }
        }

        return new Point(name, counts.Total, rss, metrics.HeapMb, metrics.CommittedMb, json);
    }

    /// <summary>Waits until the namespaces are gone and the object count has come back near where it started.</summary>
    private static async Task<int> WaitForDeletionAsync(HttpClient kube, List<string> namespaces, int baseline, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var last = -1;
        var unchangedSince = Stopwatch.StartNew();
        while (true)
        {
            var gone = true;
            foreach (var ns in namespaces)
            {
                using var response = await kube.GetAsync($"api/v1/namespaces/{ns}", ct);
                gone &= response.StatusCode == HttpStatusCode.NotFound;
            }

            var total = (await CountAsync(kube, ct)).Total;
            if (total != last)
            {
                (last, unchangedSince) = (total, Stopwatch.StartNew());
            }

            // Cluster-scoped volumes and snapshot contents go after their claims and snapshots: wait for the count to rest.
            if ((gone && total <= baseline + 50 && unchangedSince.Elapsed > TimeSpan.FromSeconds(3)) || deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                return total;
            }

            if (deadline.Elapsed.TotalSeconds % 30 < 2)
            {
                Console.WriteLine($"  … {total} objects, namespaces gone: {gone}");
            }

            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
    }

    private sealed record Counts(int Total, Dictionary<string, int> ByResource);

    /// <summary>
    /// Every object the API server stores, by discovery (each group's preferred version) and a list with limit=1 per
    /// resource: its items plus metadata.remainingItemCount.
    /// </summary>
    private static async Task<Counts> CountAsync(HttpClient kube, CancellationToken ct)
    {
        var paths = new List<string> { "api/v1" };
        var groups = await GetJsonAsync(kube, "apis", ct);
        foreach (var group in groups["groups"]!.AsArray())
        {
            if (!AliasGroups.Contains((string)group!["name"]!))
            {
                paths.Add("apis/" + (string)group["preferredVersion"]!["groupVersion"]!);
            }
        }

        var byResource = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var resources = await GetJsonAsync(kube, path, ct);
            foreach (var resource in resources["resources"]!.AsArray())
            {
                var name = (string)resource!["name"]!;
                if (name.Contains('/', StringComparison.Ordinal) || !resource["verbs"]!.AsArray().Any(v => (string?)v == "list"))
                {
                    continue;
                }

                var list = await GetJsonAsync(kube, $"{path}/{name}?limit=1", ct);
                var count = list["items"]!.AsArray().Count + ((int?)list["metadata"]?["remainingItemCount"] ?? 0);
                byResource[path == "api/v1" ? name : $"{name}.{path.Split('/')[1]}"] = count;
            }
        }

        return new Counts(byResource.Values.Sum(), byResource);
    }

    private static async Task<JsonNode> GetJsonAsync(HttpClient http, string path, CancellationToken ct)
    {
        var bytes = await http.GetByteArrayAsync(path, ct);
        return JsonNode.Parse(bytes)!;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vers.Operator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run from the repository (Vers.Operator.sln not found above " + AppContext.BaseDirectory + ")");
    }

    internal static async Task<string> RunToolAsync(string file, IEnumerable<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await output}{await error}");
        }

        return await output;
    }
}
