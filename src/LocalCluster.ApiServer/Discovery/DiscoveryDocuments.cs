using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Discovery;

/// <summary>Legacy (APIGroupList/APIResourceList) and aggregated (apidiscovery.k8s.io v2/v2beta1) discovery documents.</summary>
internal sealed partial class DiscoveryDocuments(ResourceRegistry registry)
{
    private sealed record GroupInfo(string Name, List<string> Versions);

    private List<GroupInfo> Groups()
    {
        var groups = new List<GroupInfo>();
        foreach (var type in registry.All)
        {
            var g = groups.FirstOrDefault(x => x.Name == type.Group);
            if (g is null)
            {
                g = new GroupInfo(type.Group, []);
                groups.Add(g);
            }

            foreach (var v in type.Versions.Where(v => v.Served))
            {
                if (!g.Versions.Contains(v.Name))
                {
                    g.Versions.Add(v.Name);
                }
            }
        }

        foreach (var g in groups)
        {
            g.Versions.Sort(CompareVersions);
        }

        return groups;
    }

    /// <summary>Kubernetes version priority: GA before beta before alpha, higher numbers first, others last alphabetically.</summary>
    public static int CompareVersions(string a, string b)
    {
        static (int Rank, int Major, int Minor) Key(string v)
        {
            var m = VersionPattern().Match(v);
            if (!m.Success)
            {
                return (3, 0, 0);
            }

            var rank = m.Groups[2].Value switch { "" => 0, "beta" => 1, _ => 2 };
            return (rank, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                m.Groups[3].Success ? int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
        }

        var (ra, ma, na) = Key(a);
        var (rb, mb, nb) = Key(b);
        if (ra != rb)
        {
            return ra.CompareTo(rb);
        }

        if (ra == 3)
        {
            return string.CompareOrdinal(a, b);
        }

        return ma != mb ? mb.CompareTo(ma) : nb.CompareTo(na);
    }

    [GeneratedRegex("^v([0-9]+)(?:(alpha|beta)([0-9]+))?$")]
    private static partial Regex VersionPattern();

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    public bool HasGroup(string group) => Groups().Any(g => g.Name == group && group.Length > 0);

    public bool HasGroupVersion(string group, string version) => Groups().Any(g => g.Name == group && g.Versions.Contains(version));

    public JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = Strings(["v1"]),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    private static JsonObject GroupJson(GroupInfo g) => new()
    {
        ["name"] = g.Name,
        ["versions"] = new JsonArray([.. g.Versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{g.Name}/{v}", ["version"] = v })]),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{g.Name}/{g.Versions[0]}", ["version"] = g.Versions[0] },
    };

    public JsonObject ApiGroupList() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray([.. Groups().Where(g => g.Name.Length > 0).Select(g => (JsonNode)GroupJson(g))]),
    };

    public JsonObject ApiGroup(string group)
    {
        var json = GroupJson(Groups().First(g => g.Name == group));
        json["kind"] = "APIGroup";
        json["apiVersion"] = "v1";
        return json;
    }

    public JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var t in registry.All.Where(t => t.Group == group && t.Version(version) is not null))
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = Strings(t.Verbs),
            };
            if (t.ShortNames.Count > 0)
            {
                r["shortNames"] = Strings(t.ShortNames);
            }

            if (t.Categories.Count > 0)
            {
                r["categories"] = Strings(t.Categories);
            }

            resources.Add(r);
            foreach (var sub in SubresourcesOf(t, version))
            {
                var entry = new JsonObject
                {
                    ["name"] = $"{t.Plural}/{sub.Name}",
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                };

                // A subresource of another group/version names it (deployments/scale is autoscaling/v1 Scale).
                if (sub.Group != t.Group || sub.Version != version)
                {
                    entry["group"] = sub.Group;
                    entry["version"] = sub.Version;
                }

                entry["kind"] = sub.Kind;
                entry["verbs"] = Strings(sub.Verbs);
                resources.Add(entry);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = ResourceType.ApiVersionOf(group, version),
            ["resources"] = resources,
        };
    }

    private sealed record Subresource(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs);

    private static readonly string[] StatusVerbs = ["get", "patch", "update"];

    /// <summary>
    /// The subresources discovery lists, by name as the real server orders them: status where the version has one,
    /// and the strategy's views in their own kind (deployments/scale as autoscaling/v1 Scale).
    /// </summary>
    private static IEnumerable<Subresource> SubresourcesOf(ResourceType t, string version)
    {
        var list = t.Strategy.Views.Select(view => new Subresource(view.Name, view.Group, view.Version, view.Kind, view.Verbs)).ToList();
        if (t.Version(version)!.HasStatus)
        {
            list.Add(new Subresource("status", t.Group, version, t.Kind, StatusVerbs));
        }

        return list.OrderBy(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>APIGroupDiscoveryList for <c>/api</c> (<paramref name="core"/>) or <c>/apis</c>.</summary>
    public JsonObject Aggregated(bool core, string discoveryVersion)
    {
        var items = new JsonArray();
        foreach (var g in Groups().Where(g => (g.Name.Length == 0) == core))
        {
            var versions = new JsonArray();
            foreach (var v in g.Versions)
            {
                var resources = new JsonArray();
                foreach (var t in registry.All.Where(t => t.Group == g.Name && t.Version(v) is not null))
                {
                    var kind = new JsonObject { ["group"] = t.Group, ["version"] = v, ["kind"] = t.Kind };
                    var r = new JsonObject
                    {
                        ["resource"] = t.Plural,
                        ["responseKind"] = kind,
                        ["scope"] = t.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = t.Singular,
                        ["verbs"] = Strings(t.Verbs),
                    };
                    if (t.ShortNames.Count > 0)
                    {
                        r["shortNames"] = Strings(t.ShortNames);
                    }

                    if (t.Categories.Count > 0)
                    {
                        r["categories"] = Strings(t.Categories);
                    }

                    var subresources = SubresourcesOf(t, v).ToList();
                    if (subresources.Count > 0)
                    {
                        r["subresources"] = new JsonArray([.. subresources.Select(sub => (JsonNode)new JsonObject
                        {
                            ["subresource"] = sub.Name,
                            ["responseKind"] = new JsonObject { ["group"] = sub.Group, ["version"] = sub.Version, ["kind"] = sub.Kind },
                            ["verbs"] = Strings(sub.Verbs),
                        })]);
                    }

                    resources.Add(r);
                }

                versions.Add(new JsonObject { ["version"] = v, ["resources"] = resources, ["freshness"] = "Current" });
            }

            items.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = g.Name }, ["versions"] = versions });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = $"apidiscovery.k8s.io/{discoveryVersion}",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }
}
