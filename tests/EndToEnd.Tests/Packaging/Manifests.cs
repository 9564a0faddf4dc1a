using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>Multi-document YAML (helm template output, config/ files) as JSON objects.</summary>
internal static class Manifests
{
    public static List<JsonObject> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents
            .Where(d => d.RootNode is YamlMappingNode)
            .Select(d => (JsonObject)ToJson(d.RootNode)!)
            .ToList();
    }

    public static List<JsonObject> ParseFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.yaml").Order(StringComparer.Ordinal)
            .Where(f => !Path.GetFileName(f).Equals("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => Parse(File.ReadAllText(f)))
            .ToList();

    public static string Kind(JsonObject o) => (string)o["kind"]!;

    public static string Name(JsonObject o) => (string)o["metadata"]!["name"]!;

    public static string? Namespace(JsonObject o) => (string?)o["metadata"]?["namespace"];

    public static string Id(JsonObject o) => $"{Kind(o)} {Namespace(o)}/{Name(o)}".Replace(" /", " ", StringComparison.Ordinal);

    public static IEnumerable<JsonObject> OfKind(this IEnumerable<JsonObject> objects, params string[] kinds) =>
        objects.Where(o => kinds.Contains(Kind(o), StringComparer.Ordinal));

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted)
        {
            return JsonValue.Create(value);
        }

        return value switch
        {
            "" or "~" or "null" => null,
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            _ when long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
            _ => JsonValue.Create(value),
        };
    }
}
