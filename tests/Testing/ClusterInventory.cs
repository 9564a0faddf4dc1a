using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.Kube;

namespace Vers.Testing;

/// <summary>
/// Everything that exists in a namespace, of every namespaced kind the API server serves (found by discovery, as
/// <c>kubectl api-resources</c> does), Events excepted — so an orphan of a kind no test thought of is still seen.
/// </summary>
public sealed class ClusterInventory(Uri kubeApi)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private IReadOnlyList<ResourceType>? _types;

    /// <summary>Namespaced, listable resources (no subresources), Events excepted.</summary>
    public async Task<IReadOnlyList<ResourceType>> TypesAsync(CancellationToken ct)
    {
        if (_types is not null)
        {
            return _types;
        }

        var types = new List<ResourceType>();
        await AddAsync(types, "", "v1", "api/v1", ct);
        var groups = await GetAsync("apis", ct);
        foreach (var group in groups["groups"]!.AsArray().OfType<JsonObject>())
        {
            var name = (string)group["name"]!;
            var version = (string)group["preferredVersion"]!["version"]!;
            await AddAsync(types, name, version, $"apis/{name}/{version}", ct);
        }

        return _types = types;
    }

    private async Task AddAsync(List<ResourceType> types, string group, string version, string path, CancellationToken ct)
    {
        var list = await GetAsync(path, ct);
        foreach (var resource in list["resources"]!.AsArray().OfType<JsonObject>())
        {
            var plural = (string)resource["name"]!;
            var verbs = resource["verbs"]?.AsArray().Select(v => (string?)v).ToList() ?? [];
            if (plural.Contains('/', StringComparison.Ordinal) || resource["namespaced"]?.GetValue<bool>() != true || !verbs.Contains("list") || plural == "events")
            {
                continue;
            }

            types.Add(new ResourceType(group, version, plural, (string)resource["kind"]!));
        }
    }

    private async Task<JsonObject> GetAsync(string path, CancellationToken ct) =>
        JsonNode.Parse(await Http.GetStringAsync(new Uri(kubeApi, path), ct))!.AsObject();

    /// <summary>The objects in <paramref name="ns"/>, by kind (group-qualified), kinds with none left out.</summary>
    public async Task<Snapshot> OfAsync(string ns, CancellationToken ct)
    {
        var byKind = new SortedDictionary<string, List<GenericObject>>(StringComparer.Ordinal);
        foreach (var type in await TypesAsync(ct))
        {
            var text = await Http.GetStringAsync(new Uri(kubeApi, Kube.Client.KubeRestClient.PathOf(type, ns)), ct);
            var items = KubernetesJson.Deserialize<KubernetesList<GenericObject>>(text).Items;
            if (items.Count > 0)
            {
                byKind[KindKey(type)] = [.. items];
            }
        }

        return new Snapshot(ns, byKind);
    }

    public static string KindKey(ResourceType type) => type.Group.Length == 0 ? type.Kind : $"{type.Kind}.{type.Group}";

    /// <summary>The objects of one namespace at one moment.</summary>
    public sealed record Snapshot(string Namespace, SortedDictionary<string, List<GenericObject>> ByKind)
    {
        public IEnumerable<(string Kind, GenericObject Object)> All => ByKind.SelectMany(kv => kv.Value.Select(o => (kv.Key, o)));

        public List<GenericObject> Of(string kindKey) => ByKind.TryGetValue(kindKey, out var list) ? list : [];

        public GenericObject? Find(string kindKey, string name) => Of(kindKey).FirstOrDefault(o => o.Metadata.Name == name);

        /// <summary>Kind → count, e.g. "VirtualMachine.kubevirt.io=2, Commit.vers.sh=2".</summary>
        public string Shape => string.Join(", ", ByKind.Select(kv => $"{kv.Key}={kv.Value.Count}"));

        public HashSet<(string Kind, string Name)> Names => [.. All.Select(x => (x.Kind, x.Object.Metadata.Name))];
    }
}
