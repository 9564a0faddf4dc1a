using System.Text.Json;
using Microsoft.Diagnostics.Runtime;

namespace Vers.Benchmarks;

/// <summary>
/// The host's managed heap by component, read from the live process with ClrMD (the process is suspended meanwhile).
/// Two figures per component: <b>claimed</b> — what is reachable from the component's data (its root objects' data
/// fields, its informers' caches; not crossing into other components) and not from a component listed before it, so
/// the components partition the live heap in this order; and <b>exclusive</b> — what would become garbage if only
/// that data went away (everything else kept reachable from the GC roots).
/// </summary>
internal static class HeapBreakdown
{
    private const string Informer = "Vers.Kube.Informers.ResourceInformer<";

    /// <summary>The informers (one per kind and form) that two or three of the components below hold: the host shares them.</summary>
    private const string SharedCaches = "informer caches shared by simulator, operator, fork API";

    /// <summary>
    /// The components, in claiming order (the API server's data first, so that what its stored objects share is theirs):
    /// root objects by type, and the fields of theirs that hold the component's data (null: the whole object).
    /// </summary>
    private static readonly (string Name, (string Type, string[]? Fields)[] Roots)[] Components =
    [
        ("API server: stored objects (in-memory store, SQLite's mirror)", [("Vers.LocalCluster.ApiServer.Storage.InMemoryObjectStore", ["_buckets"])]),
        ("API server: watch history (10,000 events)", [("Vers.LocalCluster.ApiServer.Watch.WatchHub", ["_ring"])]),
        ("API server: lifecycle controller indexes", [("Vers.LocalCluster.ApiServer.Controllers.LifecycleController", ["_byUid", "_dependents", "_terminating"])]),
        ("API server: Event expiry queue", [("Vers.LocalCluster.ApiServer.Controllers.EventExpiry", ["_due"])]),
        (SharedCaches, []),
        ("simulator: informer caches, own writes, decisions", [("Vers.LocalCluster.KubeVirt.SimulatorContext", null)]),
        ("operator: informer caches, queues, indexes", [("Vers.Operator.Hosting.VersOperator", null)]),
        ("fork API: informer caches", [("Vers.ApiShim.Hosting.ApiShimServer", null)]),
    ];

    /// <summary>
    /// Types a component's walk does not enter: they lead to other components or to the whole process (clients, loggers,
    /// delegates and tasks, whose continuations reach request pipelines). Informers are entered by their caches only.
    /// </summary>
    private static readonly string[] Boundaries =
    [
        Informer, "Vers.Kube.Controllers.", "Vers.Kube.Client.", "Vers.LocalCluster.ApiServer.Storage.ResourceStore",
        "Vers.LocalCluster.ApiServer.KubeApiServer", "k8s.Kubernetes", "System.Net.", "System.Threading.", "System.Action", "System.Func", "System.Runtime.CompilerServices.",
        "Microsoft.Extensions.", "Microsoft.AspNetCore.", "Prometheus.", "System.Diagnostics.",
    ];

    public sealed record Part(string Name, long ClaimedBytes, long ExclusiveBytes);

    public sealed record TypeSize(string Type, long Bytes, long Count);

    /// <param name="Holders">Strings and byte arrays by what holds them: the type of the first object found referring to
    /// each on a walk from the GC roots, and that object's own first referrer ("held by A &lt;- B").</param>
    public sealed record Result(long LiveBytes, long AllObjectBytes, IReadOnlyList<Part> Parts, IReadOnlyList<TypeSize> TopTypes, Duplicates Strings, IReadOnlyList<TypeSize> Holders);

    /// <summary>The types whose holders are listed: between them most of the live heap, and what a leak is made of.</summary>
    private static readonly string[] HeldTypes = ["System.String", "System.Byte[]"];

    /// <summary>Live strings with a value another live string has: how many, the bytes beyond one copy each, the costliest values.</summary>
    public sealed record Duplicates(long Strings, long DuplicateStrings, long WastedBytes, IReadOnlyList<TypeSize> Top, IReadOnlyList<TypeSize> ByShape);

    /// <summary>What a string value looks like, to see which kind of value is copied most.</summary>
    private static string Shape(string value) =>
        Guid.TryParse(value, out _) ? "uid"
        : value.Length > 0 && value.All(char.IsAsciiDigit) ? "number (resourceVersion, ...)"
        : DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _) ? "timestamp"
        : value.Length <= 16 ? "short text (<= 16 chars)"
        : "longer text (names, messages, ...)";

    /// <summary>
    /// Reads the breakdown in a child process (this program with <c>--heap-of PID</c>): ClrMD loads the target runtime's
    /// data access library into the reading process, and that has crashed the reader after it detached.
    /// </summary>
    public static async Task<Result> ReadInChildAsync(int pid, CancellationToken ct)
    {
        var output = await HostMemory.RunToolAsync(Environment.ProcessPath!, ["--heap-of", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
        return JsonSerializer.Deserialize<Result>(output)!;
    }

    /// <summary>The child's side: the breakdown of <paramref name="pid"/> as JSON on standard output.</summary>
    public static void Print(int pid) => Console.WriteLine(JsonSerializer.Serialize(Read(pid)));

    private static Result Read(int pid)
    {
        using var target = DataTarget.AttachToProcess(pid, suspend: true);
        using var runtime = target.ClrVersions[0].CreateRuntime();
        var heap = runtime.Heap;

        var instances = new Dictionary<string, List<ClrObject>>(StringComparer.Ordinal);
        var informers = new List<ClrObject>();
        long all = 0;
        foreach (var obj in heap.EnumerateObjects())
        {
            if (obj.IsFree || obj.Type?.Name is not { } name)
            {
                continue;
            }

            all += (long)obj.Size;
            if (name.StartsWith(Informer, StringComparison.Ordinal))
            {
                informers.Add(obj);
            }
            else if (Components.Any(c => c.Roots.Any(r => r.Type == name)))
            {
                (instances.TryGetValue(name, out var list) ? list : instances[name] = []).Add(obj);
            }
        }

        var gcRoots = heap.EnumerateRoots().Select(r => r.Object.Address).Where(a => a != 0).Distinct().ToList();

        // Everything live, by type (no boundaries).
        var byType = new Dictionary<string, (long Bytes, long Count)>(StringComparer.Ordinal);
        var strings = new Dictionary<string, (long Bytes, long Count)>(StringComparer.Ordinal);
        var parents = new Dictionary<ulong, ulong>();
        var held = new List<(ulong Address, string Type, long Size)>();
        var live = Walk(heap, gcRoots, [], [], bounded: false, (obj, size, parent) =>
        {
            var type = obj.Type!.Name ?? "?";
            parents[obj.Address] = parent;
            if (HeldTypes.Contains(type))
            {
                held.Add((obj.Address, type, size));
            }

            var (bytes, count) = byType.GetValueOrDefault(type);
            byType[type] = (bytes + size, count + 1);
            if (obj.Type.IsString && (string?)obj is { } value)
            {
                var (b, c) = strings.GetValueOrDefault(value);
                strings[value] = (b + size, c + 1);
            }
        });
        string TypeAt(ulong address) => address == 0 ? "a GC root" : heap.GetObject(address).Type?.Name ?? "?";
        var holders = held
            .GroupBy(h =>
            {
                var parent = parents.GetValueOrDefault(h.Address);
                return $"{h.Type} held by {TypeAt(parent)} <- {(parent == 0 ? "" : TypeAt(parents.GetValueOrDefault(parent)))}";
            })
            .Select(g => new TypeSize(g.Key, g.Sum(h => h.Size), g.Count()))
            .OrderByDescending(t => t.Bytes)
            .Take(12)
            .ToList();
        var duplicated = strings.Where(kv => kv.Value.Count > 1).ToList();
        var duplicates = new Duplicates(
            strings.Sum(kv => kv.Value.Count),
            duplicated.Sum(kv => kv.Value.Count - 1),
            duplicated.Sum(kv => kv.Value.Bytes / kv.Value.Count * (kv.Value.Count - 1)),
            [.. duplicated.OrderByDescending(kv => kv.Value.Bytes / kv.Value.Count * (kv.Value.Count - 1)).Take(15)
                .Select(kv => new TypeSize(kv.Key.Length > 60 ? kv.Key[..60] + "…" : kv.Key, kv.Value.Bytes / kv.Value.Count * (kv.Value.Count - 1), kv.Value.Count))],
            [.. duplicated.GroupBy(kv => Shape(kv.Key))
                .Select(g => new TypeSize(g.Key, g.Sum(kv => kv.Value.Bytes / kv.Value.Count * (kv.Value.Count - 1)), g.Sum(kv => kv.Value.Count - 1)))
                .OrderByDescending(t => t.Bytes)]);

        // An informer belongs to the component whose root holds it in a field (or a field of a field: the operator's
        // ForkCaches, the fork API's Caches); one that several hold (the all-in-one host shares them) is theirs together.
        var sharedBy = new Dictionary<ulong, int>();
        foreach (var (_, roots) in Components)
        {
            foreach (var (type, fields) in roots.Where(r => r.Fields is null))
            {
                foreach (var informer in (instances.GetValueOrDefault(type) ?? []).SelectMany(obj => InformersHeldBy(obj, depth: 2)).DistinctBy(i => i.Address))
                {
                    sharedBy[informer.Address] = sharedBy.GetValueOrDefault(informer.Address) + 1;
                }
            }
        }

        var owned = new HashSet<ulong>();
        var parts = new List<Part>();
        var claimed = new HashSet<ulong>();
        foreach (var (name, roots) in Components)
        {
            var starts = new List<ulong>();
            if (name == SharedCaches)
            {
                foreach (var informer in informers.Where(i => sharedBy.GetValueOrDefault(i.Address) > 1 && owned.Add(i.Address)))
                {
                    starts.AddRange(FieldValues(informer, ["_cache", "_indexes"]));
                }
            }

            foreach (var (type, fields) in roots)
            {
                foreach (var obj in instances.GetValueOrDefault(type) ?? [])
                {
                    if (fields is null)
                    {
                        starts.Add(obj.Address);
                        foreach (var informer in InformersHeldBy(obj, depth: 2).Where(i => owned.Add(i.Address)))
                        {
                            starts.AddRange(FieldValues(informer, ["_cache", "_indexes"]));
                        }
                    }
                    else
                    {
                        starts.AddRange(FieldValues(obj, fields));
                    }
                }
            }

            var claim = Walk(heap, starts, claimed, [], bounded: true, null);
            var withoutIt = Walk(heap, gcRoots, [], [.. starts], bounded: false, null);
            parts.Add(new Part(name, claim, live - withoutIt));
        }

        parts.Add(new Part("everything else (runtime, ASP.NET, registry and schemas, HTTP, ...)", live - parts.Sum(p => p.ClaimedBytes), 0));
        var top = byType.OrderByDescending(kv => kv.Value.Bytes).Take(25).Select(kv => new TypeSize(kv.Key, kv.Value.Bytes, kv.Value.Count)).ToList();
        return new Result(live, all, parts, top, duplicates, holders);
    }

    private static IEnumerable<ulong> FieldValues(ClrObject obj, string[] fields) =>
        fields.Select(f => obj.TryReadObjectField(f, out var value) ? value.Address : 0).Where(a => a != 0);

    private static IEnumerable<ClrObject> InformersHeldBy(ClrObject obj, int depth)
    {
        foreach (var field in obj.Type?.Fields ?? [])
        {
            if (!field.IsObjectReference)
            {
                continue;
            }

            var value = field.ReadObject(obj.Address, interior: false);
            if (value.Type?.Name is not { } name)
            {
                continue;
            }

            if (name.StartsWith(Informer, StringComparison.Ordinal))
            {
                yield return value;
            }
            else if (depth > 1 && name.StartsWith("Vers.", StringComparison.Ordinal))
            {
                foreach (var inner in InformersHeldBy(value, depth - 1))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>
    /// Bytes reachable from <paramref name="starts"/>, not entering <paramref name="blocked"/> nor objects already in
    /// <paramref name="seen"/> (which it extends). <paramref name="visit"/> gets each object, its size and the object
    /// through which the walk first reached it (0 for a start).
    /// </summary>
    private static long Walk(ClrHeap heap, IEnumerable<ulong> starts, HashSet<ulong> seen, HashSet<ulong> blocked, bool bounded, Action<ClrObject, long, ulong>? visit)
    {
        var stack = new Stack<(ulong Address, ulong Parent)>(starts.Select(a => (a, 0UL)));
        long bytes = 0;
        while (stack.TryPop(out var entry))
        {
            var address = entry.Address;
            if (blocked.Contains(address) || !seen.Add(address))
            {
                continue;
            }

            var obj = heap.GetObject(address);
            if (!obj.IsValid || obj.Type is null || (bounded && Boundaries.Any(b => obj.Type.Name?.StartsWith(b, StringComparison.Ordinal) == true)))
            {
                continue;
            }

            var size = (long)obj.Size;
            bytes += size;
            visit?.Invoke(obj, size, entry.Parent);
            if (obj.ContainsPointers)
            {
                foreach (var reference in obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
                {
                    if (reference != 0)
                    {
                        stack.Push((reference, address));
                    }
                }
            }
        }

        return bytes;
    }
}
