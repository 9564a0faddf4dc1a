using System.Text.Json.Nodes;
using Vers.Kube;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>Short reads of unstructured objects for assertions.</summary>
internal static class ObjectReading
{
    /// <summary>The value at a dotted path of the object's fields (<c>status.phase</c>, <c>spec.template.spec.volumes.0.name</c>), as JSON text for non-strings.</summary>
    public static string? At(this GenericObject obj, string path) => obj.Fields.At(path);

    public static string? At(this JsonNode? node, string path)
    {
        foreach (var segment in path.Split('.'))
        {
            node = node switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
        }

        return node switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => node.ToJsonString(),
        };
    }

    public static string? Phase(this GenericObject obj) => obj.At("status.phase");

    public static string? PrintableStatus(this GenericObject vm) => vm.At("status.printableStatus");

    public static bool ReadyToUse(this GenericObject obj) => (bool?)obj.Status?["readyToUse"] == true;

    /// <summary>A condition as <c>Status:Reason:Message</c>, or null when the object has none of that type.</summary>
    public static string? Condition(this GenericObject obj, string type) =>
        (obj.Status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => (string?)c["type"] == type)
            .Select(c => $"{c["status"]}:{c["reason"]}:{c["message"]}").FirstOrDefault();

    public static IReadOnlyList<string> Strings(this JsonNode? array) => (array as JsonArray ?? []).Select(n => (string?)n).OfType<string>().ToList();

    public static IReadOnlyList<string> Finalizers(this GenericObject obj) => [.. obj.Metadata.Finalizers ?? []];

    public static string? Annotation(this GenericObject obj, string key) =>
        obj.Metadata.Annotations?.TryGetValue(key, out var value) == true ? value : null;
}
