using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Patching;

/// <summary>
/// The apiserver's field manager for one write: maintains <c>metadata.managedFields</c>, attributing what the write
/// changed to its manager (an <c>Update</c> entry for create/update/patch, the applied configuration's fields for an
/// <c>Apply</c>), taking fields away from the managers that lose them, and refusing an apply that would change
/// another manager's field without <c>force</c>.
/// </summary>
internal sealed class FieldManager
{
    private readonly ResourceType _type;
    private readonly FieldType _root;
    private readonly string _apiVersion;
    private readonly string _manager;
    private readonly string? _subresource;
    private readonly TimeProvider _time;
    private readonly bool _hasStatusSubresource;
    private JsonObject? _applied;
    private bool _force;
    private FieldSet? _allowedByLastApplied;
    private bool _syncedLastApplied;

    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";
    private static readonly string[] LastAppliedPath = ["f:metadata", "f:annotations", "f:" + LastApplied];

    public FieldManager(ResourceType type, string apiVersion, string manager, string? subresource, TimeProvider time)
    {
        _type = type;
        _root = FieldType.Root(type);
        _apiVersion = apiVersion;
        _manager = manager;
        _subresource = subresource;
        _time = time;
        _hasStatusSubresource = type.Version(type.StorageVersion)?.HasStatus == true;
    }

    /// <summary>The manager of a non-apply write: the fieldManager parameter, else the User-Agent up to its first slash.</summary>
    public static string ManagerFor(string? fieldManager, string? userAgent) =>
        !string.IsNullOrEmpty(fieldManager) ? fieldManager : (userAgent ?? "").Split('/')[0];

    private string Now => Meta.Timestamp(_time.GetUtcNow());

    private (string, string, string, string) ApplyIdentity => (_manager, "Apply", "", _subresource ?? "");

    /// <summary>
    /// The object an apply produces from the live one (null when creating): the configuration merged in, and the
    /// fields this manager applied before, no longer applies and nobody else owns, removed.
    /// </summary>
    public JsonObject Apply(JsonObject? live, JsonObject config, bool force)
    {
        _force = force;
        config = config.DeepClone().AsObject();
        Meta.Of(config).Remove("managedFields");
        _applied = config;
        if (live is null)
        {
            return config.DeepClone().AsObject();
        }

        var merged = (JsonObject)ServerSideApply.Merge(live, config, _root)!;
        if (_manager == "kubectl" && live["metadata"]?["annotations"]?[LastApplied] is JsonValue lastApplied)
        {
            // Upgrading a client-side-applied object (fieldmanager's lastAppliedManager and lastAppliedUpdater): the
            // fields of the last-applied annotation may be taken over without conflicts, and the annotation is kept
            // in step with the configuration applied.
            try
            {
                if (JsonNode.Parse(lastApplied.ToString()) is JsonObject previous)
                {
                    _allowedByLastApplied = ServerSideApply.ToFieldSet(previous, _root);
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Not JSON: nothing is allowed.
            }

            var annotation = config.DeepClone().AsObject();
            if (annotation["metadata"]?["annotations"] is JsonObject own)
            {
                own.Remove(LastApplied);
            }

            if (Meta.Of(merged)["annotations"] is JsonObject annotations)
            {
                annotations[LastApplied] = FieldSet.Json(Sorted(annotation)) + "\n";
            }

            _syncedLastApplied = true;
        }

        var entries = ManagedFieldsEntry.Decode(live["metadata"]?["managedFields"], asEncoded: false);
        var last = entries.FirstOrDefault(e => e.Identity == ApplyIdentity);
        if (last is not null)
        {
            var others = entries.Where(e => e != last).Aggregate(new FieldSet(), (acc, e) => acc.Union(e.Fields));
            // Only what the merged object holds as a field of its own can go (leaves, list items, free-form map keys,
            // empty maps): a struct field such as spec is never removed because it was once owned as a whole.
            var remove = last.Fields.Difference(AppliedSet()).Difference(others).Intersection(ServerSideApply.ToFieldSet(merged, _root));
            ServerSideApply.RemoveFields(merged, remove, _root);
        }

        return merged;
    }

    /// <summary>The fields of the applied configuration, less those the endpoint resets (status on the main resource, all but status on /status).</summary>
    private FieldSet AppliedSet()
    {
        var set = ServerSideApply.ToFieldSet(PrunedConfig(), _root);
        return Reset(set);
    }

    private FieldSet Reset(FieldSet set)
    {
        if (_subresource == "status")
        {
            return set.Only("f:status");
        }

        if (_hasStatusSubresource)
        {
            set.RemoveSubtree("f:status");
        }

        return set;
    }

    /// <summary>The configuration as the server keeps it: unknown fields of a custom resource pruned.</summary>
    private JsonObject PrunedConfig()
    {
        var config = _applied!.DeepClone().AsObject();
        if (_type.IsCustom && _type.StorageSchema is { } schema)
        {
            Schema.StructuralSchema.PruneRoot(config, schema, []);
        }

        return config;
    }

    /// <summary>
    /// Called by the store with the live object (null on create) and the object about to be stored, after the
    /// strategies ran: writes <c>metadata.managedFields</c> into <paramref name="updated"/>, or throws the apply conflict.
    /// </summary>
    public void Track(JsonObject? live, JsonObject updated)
    {
        var meta = Meta.Of(updated);
        var stored = live?["metadata"]?["managedFields"];
        var requested = _applied is null && _subresource is null ? meta["managedFields"] as JsonArray : null;
        List<ManagedFieldsEntry> entries;
        if (requested is { Count: > 0 } && (stored is null || !SameJson(requested, stored)))
        {
            // Entries the client set (not the ones it read and sent back): decoded, to be encoded in the server's spelling.
            entries = ManagedFieldsEntry.Decode(requested, asEncoded: false);
        }
        else
        {
            // The stored entries, in the server's encoding as every tracked write encodes them. Not Events':
            // events.k8s.io writes are not tracked and store the managedFields a client sent as they are.
            entries = ManagedFieldsEntry.Decode(stored, asEncoded: _type.Builtin != BuiltinKind.CoreEvent);
        }

        // Fields the endpoint resets are nobody's doing (status on the main resource, e.g. a CRD's server-filled
        // status), so only the top-level fields it keeps are compared: status on /status, the others elsewhere.
        var compared = ServerSideApply.Compare(live, updated, _root, _subresource == "status" ? IsStatus : _hasStatusSubresource ? IsNotStatus : null);
        var comparison = new Comparison(Reset(compared.Added), Reset(compared.Modified), Reset(compared.Removed));
        if (_syncedLastApplied)
        {
            comparison.Modified.RemoveMember(LastAppliedPath);
        }

        if (_applied is not null)
        {
            TrackApply(entries, comparison);
        }
        else
        {
            TrackUpdate(entries, comparison);
        }

        var encoded = ManagedFieldsEntry.Encode(entries);
        meta.Remove("managedFields");
        if (encoded.Count > 0)
        {
            meta["managedFields"] = encoded;
        }
    }

    private static bool IsStatus(string key) => key == "status";

    private static bool IsNotStatus(string key) => key != "status";

    /// <summary>Whether two JSON trees serialize alike (cheap for parsed trees nobody walked: they write their source text).</summary>
    private static bool SameJson(JsonNode a, JsonNode b)
    {
        var buffer = new ArrayBufferWriter<byte>(8192);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            a.WriteTo(writer);
        }

        var length = buffer.WrittenCount;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            b.WriteTo(writer);
        }

        var written = buffer.WrittenSpan;
        return written.Length == 2 * length && written[..length].SequenceEqual(written[length..]);
    }

    private void TrackUpdate(List<ManagedFieldsEntry> entries, Comparison comparison)
    {
        var changed = comparison.Changed;
        foreach (var e in entries)
        {
            // Entries are read afresh for each write (no empty nodes), so a difference that removes nothing is the set
            // itself: only the entries the write overlaps change, and the others are written back as they were read.
            if (e.Overlaps(changed) || e.Overlaps(comparison.Removed))
            {
                e.Fields = e.Fields.Difference(changed).Difference(comparison.Removed);
            }
        }

        if (changed.IsEmpty)
        {
            return;
        }

        var identity = (_manager, "Update", _apiVersion, _subresource ?? "");
        var mine = entries.FirstOrDefault(e => e.Identity == identity);
        if (mine is null)
        {
            entries.Add(new ManagedFieldsEntry { Manager = _manager, Operation = "Update", ApiVersion = _apiVersion, Subresource = _subresource, Fields = changed, Time = Now });
        }
        else
        {
            mine.Fields = mine.Fields.Union(changed);
            mine.Time = Now;
        }
    }

    private void TrackApply(List<ManagedFieldsEntry> entries, Comparison comparison)
    {
        var mine = entries.FirstOrDefault(e => e.Identity == ApplyIdentity);
        if (mine is null)
        {
            mine = new ManagedFieldsEntry { Manager = _manager, Operation = "Apply", ApiVersion = _apiVersion, Subresource = _subresource, Fields = new FieldSet() };
            entries.Add(mine);
        }

        mine.Fields = AppliedSet();
        mine.ApiVersion = _apiVersion;
        var changed = comparison.Changed;
        var conflicts = new List<(ManagedFieldsEntry Entry, FieldSet Fields)>();
        foreach (var e in entries.Where(e => e != mine))
        {
            var lost = e.Fields.Intersection(changed);
            if (!lost.IsEmpty)
            {
                conflicts.Add((e, lost));
            }
        }

        if (_allowedByLastApplied is { } allowed && conflicts.Count > 0)
        {
            // Conflicts only on what the client-side apply annotation held are forced; the others are reported.
            conflicts = [.. conflicts.Select(c => (c.Entry, c.Fields.Difference(allowed))).Where(c => !c.Item2.IsEmpty)];
            if (conflicts.Count == 0)
            {
                _force = true;
            }
        }

        if (conflicts.Count > 0 && !_force)
        {
            throw Conflict(conflicts);
        }

        foreach (var e in entries.Where(e => e != mine))
        {
            e.Fields = e.Fields.Difference(changed).Difference(comparison.Removed);
        }

        if (!comparison.IsEmpty)
        {
            mine.Time = Now;
        }
    }

    /// <summary>A JSON tree with object keys sorted, as Go encodes maps.</summary>
    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Sorted(kv.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    /// <summary>409 as fieldmanager's <c>NewConflictError</c> builds it.</summary>
    private static ApiException Conflict(List<(ManagedFieldsEntry Entry, FieldSet Fields)> conflicts)
    {
        var all = conflicts.OrderBy(c => c.Entry.Printed, StringComparer.Ordinal)
            .SelectMany(c => c.Fields.Paths().Select(p => (Manager: c.Entry.Printed, Path: FieldSet.Render(p))))
            .ToList();
        string message;
        if (all.Count == 1)
        {
            message = $"conflict with {all[0].Manager}: {all[0].Path}";
        }
        else
        {
            message = string.Join("\n", all.GroupBy(c => c.Manager).SelectMany(g => new[] { $"conflicts with {g.Key}:" }.Concat(g.Select(c => $"- {c.Path}"))));
        }

        var causes = all.Select(c => new JsonObject { ["type"] = "FieldManagerConflict", ["message"] = $"conflict with {c.Manager}", ["field"] = c.Path }).ToList();
        return ApiException.ApplyConflict($"Apply failed with {all.Count} conflict{(all.Count == 1 ? "" : "s")}: {message}", causes);
    }
}
