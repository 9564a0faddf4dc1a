using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Patching;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// The oracle of <see cref="ManagedFieldsTrackingTests"/>: managedFields bookkeeping of a non-apply write as the field
/// manager used to compute it in full — every entry decoded into a field set, the whole object compared, every entry
/// encoded afresh.
/// </summary>
internal static class ManagedFieldsOracle
{
    private sealed class Entry
    {
        public required string Manager { get; init; }

        public required string Operation { get; init; }

        public required string ApiVersion { get; init; }

        public string? Time { get; set; }

        public string? Subresource { get; init; }

        public required FieldSet Fields { get; set; }

        public (string, string, string, string) Identity => (Manager, Operation, Operation == "Apply" ? "" : ApiVersion, Subresource ?? "");

        public JsonObject ToJson()
        {
            var o = new JsonObject { ["manager"] = Manager, ["operation"] = Operation, ["apiVersion"] = ApiVersion };
            if (Time is not null)
            {
                o["time"] = Time;
            }

            o["fieldsType"] = "FieldsV1";
            o["fieldsV1"] = Fields.ToFieldsV1();
            if (!string.IsNullOrEmpty(Subresource))
            {
                o["subresource"] = Subresource;
            }

            return o;
        }
    }

    private static List<Entry> Decode(JsonNode? managedFields)
    {
        var entries = new List<Entry>();
        foreach (var e in (managedFields as JsonArray ?? []).OfType<JsonObject>())
        {
            var entry = new Entry
            {
                Manager = e["manager"]?.ToString() ?? "",
                Operation = e["operation"]?.ToString() ?? "Update",
                ApiVersion = e["apiVersion"]?.ToString() ?? "",
                Time = e["time"]?.ToString(),
                Subresource = e["subresource"]?.ToString() is { Length: > 0 } sub ? sub : null,
                Fields = FieldSet.FromFieldsV1(e["fieldsV1"]),
            };
            var same = entries.FindIndex(x => x.Identity == entry.Identity);
            if (same >= 0)
            {
                entries[same] = entry;
            }
            else
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Records <paramref name="manager"/>'s write of <paramref name="updated"/> over <paramref name="live"/> in updated's managedFields.</summary>
    public static void Track(ResourceType type, string apiVersion, string manager, string? subresource, string now, JsonObject? live, JsonObject updated)
    {
        var hasStatusSubresource = type.Version(type.StorageVersion)?.HasStatus == true;
        FieldSet Reset(FieldSet set)
        {
            if (subresource == "status")
            {
                return set.Only("f:status");
            }

            if (hasStatusSubresource)
            {
                set.RemoveSubtree("f:status");
            }

            return set;
        }

        var meta = updated["metadata"]!.AsObject();
        var requested = subresource is null ? meta["managedFields"] as JsonArray : null;
        var entries = Decode(requested is { Count: > 0 } ? requested : live?["metadata"]?["managedFields"]);
        var compared = ServerSideApply.Compare(live, updated, FieldType.Root(type));
        var removed = Reset(compared.Removed);
        var changed = Reset(compared.Added).Union(Reset(compared.Modified));
        foreach (var e in entries)
        {
            if (e.Fields.Overlaps(changed) || e.Fields.Overlaps(removed))
            {
                e.Fields = e.Fields.Difference(changed).Difference(removed);
            }
        }

        if (!changed.IsEmpty)
        {
            var identity = (manager, "Update", apiVersion, subresource ?? "");
            if (entries.FirstOrDefault(e => e.Identity == identity) is { } mine)
            {
                mine.Fields = mine.Fields.Union(changed);
                mine.Time = now;
            }
            else
            {
                entries.Add(new Entry { Manager = manager, Operation = "Update", ApiVersion = apiVersion, Subresource = subresource, Fields = changed, Time = now });
            }
        }

        var encoded = new JsonArray([.. entries.Where(e => !e.Fields.IsEmpty)
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time is null ? DateTimeOffset.MinValue : DateTimeOffset.Parse(e.Time, CultureInfo.InvariantCulture))
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal)
            .Select(e => (JsonNode)e.ToJson())]);
        meta.Remove("managedFields");
        if (encoded.Count > 0)
        {
            meta["managedFields"] = encoded;
        }
    }
}
