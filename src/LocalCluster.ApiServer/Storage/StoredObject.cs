using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.Common;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>An ownerReference as the lifecycle controller reads it.</summary>
internal readonly record struct OwnerLink(string? Uid, bool BlockOwnerDeletion);

/// <summary>
/// An object as storage keeps it: its UTF-8 JSON (as the server serializes it) and the few metadata fields the store,
/// the selectors and the lifecycle controller read without parsing. Immutable and shared: by the store, the watch
/// history and the controller's indexes. A tree is made only when a request needs one (<see cref="ToJsonObject"/>),
/// so a stored object costs about its JSON size instead of a fully materialised <see cref="JsonObject"/>, and once it is
/// no longer hot the store packs that JSON (<see cref="Pack"/>) to about a tenth.
/// </summary>
internal sealed class StoredObject
{
    private static readonly OwnerLink[] NoOwners = [];
    private static readonly string[] NoFinalizers = [];
    private static readonly KeyValuePair<string, string>[] NoLabels = [];

    // Offset of the resourceVersion value ("...") in Json, so a copy with another revision is a byte splice.
    private readonly int _rvOffset;
    private readonly int _rvLength;

    // The JSON as written (byte[]) or, once packed, a PackedJson: swapped once, read without a lock.
    private object _json;

    private StoredObject(byte[] json, int rvOffset, int rvLength, JsonObject obj, object? defaultedWith)
    {
        _json = json;
        _rvOffset = rvOffset;
        _rvLength = rvLength;
        DefaultedWith = defaultedWith;
        // The metadata strings go through the process's shared table: every version of an object, the informers that
        // cache it and its dependents' owner links then hold one instance of its name and uid, and the whole store one
        // of each namespace, apiVersion, label and finalizer.
        ApiVersion = SharedStrings.ShareOrNull(Meta.ApiVersionOrNull(obj));
        var meta = obj["metadata"] as JsonObject;
        Name = SharedStrings.Share(Meta.Name(obj));
        Namespace = SharedStrings.Share(Meta.Namespace(obj));
        Uid = SharedStrings.Share(Meta.Uid(obj));
        ResourceVersion = Meta.ResourceVersion(obj);
        Terminating = meta?["deletionTimestamp"] is not null;
        Generation = Meta.Generation(obj);
        var finalizers = Meta.Finalizers(obj);
        Finalizers = finalizers.Count == 0 ? NoFinalizers : [.. finalizers.Select(SharedStrings.Share)];
        Labels = meta?["labels"] is JsonObject labels && labels.Count > 0
            ? [.. labels.Where(kv => kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                .Select(kv => KeyValuePair.Create(SharedStrings.Share(kv.Key), SharedStrings.Share(kv.Value!.GetValue<string>())))]
            : NoLabels;
        var owners = Meta.OwnerReferences(obj).Select(o => new OwnerLink(
            o["uid"] is JsonValue u && u.TryGetValue<string>(out var uid) ? SharedStrings.Share(uid) : null,
            o["blockOwnerDeletion"] is JsonValue b && b.GetValueKind() == JsonValueKind.True)).ToArray();
        Owners = owners.Length == 0 ? NoOwners : owners;
    }

    private StoredObject(StoredObject source, byte[] json, int rvLength, string resourceVersion)
    {
        _json = json;
        _rvOffset = source._rvOffset;
        _rvLength = rvLength;
        DefaultedWith = source.DefaultedWith;
        ApiVersion = source.ApiVersion;
        Name = source.Name;
        Namespace = source.Namespace;
        Uid = source.Uid;
        ResourceVersion = resourceVersion;
        Terminating = source.Terminating;
        Generation = source.Generation;
        Finalizers = source.Finalizers;
        Labels = source.Labels;
        Owners = source.Owners;
    }

    /// <summary>
    /// The object's JSON, exactly as the server writes it (storage version, storage shape). Shared while the object is
    /// hot, unpacked into a new array after it was packed: never write to it.
    /// </summary>
    public byte[] Json => Volatile.Read(ref _json) is byte[] json ? json : ((PackedJson)_json).Unpack();

    /// <summary>Whether the JSON is held packed.</summary>
    public bool Packed => Volatile.Read(ref _json) is PackedJson;

    /// <summary>Packs the JSON (once; readers see either form).</summary>
    public void Pack(JsonPacker packer, string bucket)
    {
        if (Volatile.Read(ref _json) is byte[] json)
        {
            Volatile.Write(ref _json, packer.Pack(bucket, json));
        }
    }

    /// <summary>
    /// The schema the object was defaulted with when it was written (null: unknown, e.g. loaded from disk). Reads need
    /// not apply defaults again while the type's schema is that same instance (defaulting is idempotent).
    /// </summary>
    public object? DefaultedWith { get; }

    public string? ApiVersion { get; }

    public string Name { get; }

    public string Namespace { get; }

    public string Uid { get; }

    public string ResourceVersion { get; }

    public long Generation { get; }

    public bool Terminating { get; }

    public IReadOnlyList<string> Finalizers { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }

    public IReadOnlyList<OwnerLink> Owners { get; }

    public string? Label(string key)
    {
        foreach (var kv in Labels)
        {
            if (kv.Key == key)
            {
                return kv.Value;
            }
        }

        return null;
    }

    /// <summary>A private tree of the object (callers may mutate it).</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(Json)!.AsObject();

    /// <summary>
    /// Serializes <paramref name="obj"/> once. Its <c>metadata.resourceVersion</c>, when present, is remembered by position
    /// so <see cref="WithResourceVersion"/> can stamp the revision assigned at commit time without serializing again.
    /// </summary>
    public static StoredObject From(JsonObject obj, object? defaultedWith = null)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        var rvOffset = -1;
        var rvLength = 0;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in obj)
            {
                writer.WritePropertyName(key);
                if (key == "metadata" && value is JsonObject meta)
                {
                    writer.WriteStartObject();
                    foreach (var (mk, mv) in meta)
                    {
                        writer.WritePropertyName(mk);
                        if (mk == "resourceVersion" && mv is JsonValue v && v.TryGetValue<string>(out var rv) && IsPlain(rv))
                        {
                            writer.Flush();
                            rvOffset = (int)writer.BytesCommitted;
                            rvLength = rv.Length + 2;
                        }

                        Write(writer, mv);
                    }

                    writer.WriteEndObject();
                }
                else
                {
                    Write(writer, value);
                }
            }

            writer.WriteEndObject();
        }

        return new StoredObject(buffer.WrittenSpan.ToArray(), rvOffset, rvLength, obj, defaultedWith);
    }

    /// <summary>An object read back from its JSON (persistent storage).</summary>
    public static StoredObject Parse(ReadOnlySpan<byte> json) => From(JsonNode.Parse(json)!.AsObject());

    /// <summary>The same object stamped with another resourceVersion (commit of a write, last state of a deletion).</summary>
    public StoredObject WithResourceVersion(long revision)
    {
        var rv = revision.ToString(CultureInfo.InvariantCulture);
        if (_rvOffset < 0)
        {
            var tree = ToJsonObject();
            Meta.Of(tree)["resourceVersion"] = rv;
            return From(tree, DefaultedWith);
        }

        var source = Json;
        var json = new byte[source.Length - _rvLength + rv.Length + 2];
        source.AsSpan(0, _rvOffset).CopyTo(json);
        json[_rvOffset] = (byte)'"';
        Encoding.ASCII.GetBytes(rv, json.AsSpan(_rvOffset + 1));
        json[_rvOffset + 1 + rv.Length] = (byte)'"';
        source.AsSpan(_rvOffset + _rvLength).CopyTo(json.AsSpan(_rvOffset + rv.Length + 2));
        return new StoredObject(this, json, rv.Length + 2, rv);
    }

    /// <summary>Whether the JSON string of <paramref name="s"/> is its characters between quotes (no escapes).</summary>
    private static bool IsPlain(string s)
    {
        foreach (var c in s)
        {
            if (c is < ' ' or > '~' or '"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`')
            {
                return false;
            }
        }

        return true;
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }
}
