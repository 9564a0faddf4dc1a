using System.Text.Json.Nodes;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>One root kind of the embedded KubeVirt/CDI definitions file.</summary>
public sealed record KubeVirtKind(string DefinitionName, string Group, string Version, string Kind, string Plural)
{
    public string ApiVersion => $"{Group}/{Version}";
}

/// <summary>
/// The embedded upstream KubeVirt v1.9 / CDI v1.66 OpenAPI definitions (Swagger 2.0 shaped, see
/// <c>KubeVirt/Data/kubevirt-openapi-definitions.json</c>). Loaded once; callers must not mutate the nodes.
/// </summary>
public static class KubeVirtDefinitions
{
    private const string ResourceSuffix = "kubevirt-openapi-definitions.json";

    private static readonly Lazy<JsonObject> LazyDocument = new(Load);

    public static JsonObject Document => LazyDocument.Value;

    public static JsonObject Definitions => Document["definitions"]!.AsObject();

    /// <summary>The object kinds (not the List kinds) with their apiVersion and plural, from <c>x-group-versions</c>.</summary>
    public static IReadOnlyList<KubeVirtKind> Kinds { get; } = LoadKinds();

    public static KubeVirtKind? FindKind(string apiVersion, string kind) =>
        Kinds.FirstOrDefault(k => k.ApiVersion == apiVersion && k.Kind == kind);

    private static JsonObject Load()
    {
        var assembly = typeof(KubeVirtDefinitions).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith(ResourceSuffix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(resource)!;
        return JsonNode.Parse(stream)!.AsObject();
    }

    private static List<KubeVirtKind> LoadKinds()
    {
        var list = new List<KubeVirtKind>();
        foreach (var (definition, node) in LazyDocument.Value["x-group-versions"]!.AsObject())
        {
            var apiVersion = (string)node!["apiVersion"]!;
            var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
            list.Add(new KubeVirtKind(definition, apiVersion[..slash], apiVersion[(slash + 1)..], (string)node["kind"]!, (string)node["plural"]!));
        }

        return list;
    }
}
