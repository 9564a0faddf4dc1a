using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Patching;

/// <summary>One <c>metadata.managedFields[]</c> entry.</summary>
internal sealed class ManagedFieldsEntry
{
    public required string Manager { get; init; }

    public required string Operation { get; init; }

    public required string ApiVersion { get; set; }

    public string? Time { get; set; }

    public string? Subresource { get; init; }

    private FieldSet? _fields;

    // The entry's fieldsV1 as read (in the server's encoding, see Decode), while its set is unchanged: written back as
    // a clone, which is what encoding the set afresh gives, and looked into only along the paths a write changed. Most
    // writes touch one or two of an object's entries; decoding every entry and encoding it again was a good part of
    // a write's cost.
    private JsonObject? _source;

    /// <summary>The entry's set (decoded from the fieldsV1 it was read from on first use); setting it replaces that fieldsV1.</summary>
    public FieldSet Fields
    {
        get => _fields ??= FieldSet.FromFieldsV1(_source);
        set
        {
            _fields = value;
            _source = null;
        }
    }

    /// <summary>Whether the set is empty (fieldsV1 as read: no key but "."; the root is never a member).</summary>
    public bool IsEmpty => _source is { } source ? source.All(kv => kv.Key == ".") : Fields.IsEmpty;

    public bool IsApply => Operation == "Apply";

    /// <summary>Whether some path of the entry is a member of <paramref name="set"/> (an entry still as read is probed, not decoded).</summary>
    public bool Overlaps(FieldSet set) => _fields is null && _source is { } source ? FieldSet.OverlapsFieldsV1(source, set) : Fields.Overlaps(set);

    /// <summary>
    /// The manager identity (fieldmanager's <c>BuildManagerIdentifier</c>): manager, operation and subresource, plus
    /// the apiVersion for Update entries (appliers keep one entry whatever version they apply in).
    /// </summary>
    public (string, string, string, string) Identity => (Manager, Operation, IsApply ? "" : ApiVersion, Subresource ?? "");

    /// <summary>How conflicts name the manager (fieldmanager's <c>printManager</c>).</summary>
    public string Printed
    {
        get
        {
            var s = $"\"{Manager}\"";
            if (!string.IsNullOrEmpty(Subresource))
            {
                s += $" with subresource \"{Subresource}\"";
            }

            return IsApply ? s : $"{s} using {ApiVersion}";
        }
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["manager"] = Manager,
            ["operation"] = Operation,
            ["apiVersion"] = ApiVersion,
        };
        if (Time is not null)
        {
            o["time"] = Time;
        }

        o["fieldsType"] = "FieldsV1";
        o["fieldsV1"] = _source is { } source ? source.DeepClone() : Fields.ToFieldsV1();
        if (!string.IsNullOrEmpty(Subresource))
        {
            o["subresource"] = Subresource;
        }

        return o;
    }

    /// <summary>
    /// The entries of a managedFields array, a later entry of an identity replacing an earlier one. With
    /// <paramref name="asEncoded"/> the array is in the server's own encoding (<see cref="Encode"/>): an entry keeps its
    /// fieldsV1 and is written back as is until its set changes. Otherwise each entry is decoded, to be encoded afresh.
    /// </summary>
    public static List<ManagedFieldsEntry> Decode(JsonNode? managedFields, bool asEncoded)
    {
        var entries = new List<ManagedFieldsEntry>();
        foreach (var e in (managedFields as JsonArray ?? []).OfType<JsonObject>())
        {
            var fieldsV1 = e["fieldsV1"];
            var entry = new ManagedFieldsEntry
            {
                Manager = e["manager"]?.ToString() ?? "",
                Operation = e["operation"]?.ToString() ?? "Update",
                ApiVersion = e["apiVersion"]?.ToString() ?? "",
                Time = e["time"]?.ToString(),
                Subresource = e["subresource"]?.ToString() is { Length: > 0 } sub ? sub : null,
            };
            if (asEncoded && fieldsV1 is JsonObject source)
            {
                entry._source = source;
            }
            else
            {
                entry.Fields = FieldSet.FromFieldsV1(fieldsV1);
            }

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

    /// <summary>The server's own timestamps parse exactly (cheap); anything else a client sent, leniently.</summary>
    private static DateTimeOffset ParseTime(string time) =>
        DateTimeOffset.TryParseExact(time, "yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Entries as the server encodes them: empty sets dropped, Apply before Update, then by time, manager, apiVersion, subresource.</summary>
    public static JsonArray Encode(IEnumerable<ManagedFieldsEntry> entries) =>
        new([.. entries.Where(e => !e.IsEmpty)
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time is null ? DateTimeOffset.MinValue : ParseTime(e.Time))
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal)
            .Select(e => (JsonNode)e.ToJson())]);
}
