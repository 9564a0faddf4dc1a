using System.Globalization;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Resources;

/// <summary>Small accessors for <c>metadata</c> on raw JSON objects.</summary>
internal static class Meta
{
    public static JsonObject Of(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m)
        {
            return m;
        }

        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? Str(JsonObject obj, string field) =>
        obj["metadata"]?[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string Name(JsonObject obj) => Str(obj, "name") ?? "";

    public static string Namespace(JsonObject obj) => Str(obj, "namespace") ?? "";

    public static string Uid(JsonObject obj) => Str(obj, "uid") ?? "";

    public static string ResourceVersion(JsonObject obj) => Str(obj, "resourceVersion") ?? "";

    public static bool IsTerminating(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    public static long Generation(JsonObject obj) =>
        obj["metadata"]?["generation"] is JsonValue v && long.TryParse(v.ToJsonString(), out var g) ? g : 0;

    /// <summary>Drops null-valued metadata fields, as decoding into ObjectMeta does.</summary>
    public static void DropNulls(JsonObject obj)
    {
        var m = Of(obj);
        foreach (var key in m.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
        {
            m.Remove(key);
        }
    }

    public static List<string> Finalizers(JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray a ? [.. a.Select(n => n?.GetValue<string>() ?? "")] : [];

    public static void SetFinalizers(JsonObject obj, IReadOnlyList<string> finalizers)
    {
        var m = Of(obj);
        m.Remove("finalizers");
        if (finalizers.Count > 0)
        {
            m["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f))]);
        }
    }

    public static IEnumerable<JsonObject> OwnerReferences(JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray a ? a.OfType<JsonObject>() : [];

    /// <summary>RFC 3339 with seconds precision, as metav1.Time serialises.</summary>
    public static string Timestamp(DateTimeOffset t)
    {
        // Every write stamps one or two of these; most fall in the same second as the previous one.
        var seconds = t.ToUnixTimeSeconds();
        if (Volatile.Read(ref _lastTimestamp) is { } last && last.Seconds == seconds)
        {
            return last.Text;
        }

        var text = t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Volatile.Write(ref _lastTimestamp, new CachedTimestamp(seconds, text));
        return text;
    }

    private sealed record CachedTimestamp(long Seconds, string Text);

    private static CachedTimestamp? _lastTimestamp;

    public static string ApiVersion(JsonObject obj) => obj["apiVersion"]?.GetValue<string>() ?? "";

    public static string? ApiVersionOrNull(JsonObject obj) => obj["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
