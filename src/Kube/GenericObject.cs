using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Vers.Kube;

/// <summary>
/// An object of a kind without a C# model. Everything other than apiVersion, kind and metadata
/// stays as JSON in <see cref="Fields"/>, so reading and writing it back loses nothing.
/// </summary>
/// <remarks>
/// A decoded object keeps those fields as the compact UTF-8 JSON they arrived in and builds the
/// <see cref="JsonObject"/> on first read: informer caches hold many objects that are never read, and a
/// node tree (or the JsonDocument a lazily parsed one pins) is several times the size of its JSON.
/// The bytes are never written to, so copies share them.
/// </remarks>
[JsonConverter(typeof(GenericObjectConverter))]
public sealed class GenericObject : IKubernetesObject<V1ObjectMeta>
{
    private JsonObject? _fields;
    private byte[]? _raw;
    private bool _shared;

    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>Top-level fields other than apiVersion, kind and metadata (spec, status, data, …).</summary>
    public JsonObject Fields
    {
        get => Volatile.Read(ref _fields) ?? (_shared ? Peek() : Materialize());
        set
        {
            ThrowIfShared();
            Volatile.Write(ref _fields, value);
            Volatile.Write(ref _raw, null);
        }
    }

    public JsonObject? Spec
    {
        get => Fields["spec"] as JsonObject;
        set => Set("spec", value);
    }

    public JsonObject? Status
    {
        get => Fields["status"] as JsonObject;
        set => Set("status", value);
    }

    /// <summary>
    /// The fields for a look that must not grow a shared (cached) object: the tree already built, else a transient
    /// parse that is not kept. For index functions and watch mappings, which run on every cached object.
    /// </summary>
    public JsonObject Peek()
    {
        if (Volatile.Read(ref _fields) is { } fields)
        {
            return fields;
        }

        var raw = Volatile.Read(ref _raw);
        return raw is null
            ? Volatile.Read(ref _fields) ?? []
            : JsonNode.Parse(raw) as JsonObject ?? throw new JsonException("fields are not a JSON object");
    }

    /// <summary>The fields as a UTF-8 JSON object, while they have not been read as a <see cref="JsonObject"/>.</summary>
    internal byte[]? UnreadFields => Volatile.Read(ref _fields) is null ? Volatile.Read(ref _raw) : null;

    public static GenericObject Create(ResourceType type, string? ns, string name) => new()
    {
        ApiVersion = type.ApiVersion,
        Kind = type.Kind,
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
    };

    internal static GenericObject FromJson(string apiVersion, string kind, V1ObjectMeta metadata, byte[]? fields) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Metadata = metadata,
        _raw = fields,
    };

    /// <summary>A deep copy; fields not read yet are shared (they are immutable bytes), read ones are re-encoded.</summary>
    internal GenericObject DeepCopy()
    {
        var fields = UnreadFields;
        if (fields is null && Volatile.Read(ref _fields) is { } read)
        {
            fields = JsonSerializer.SerializeToUtf8Bytes(read, KubeJson.Options);
        }

        return FromJson(ApiVersion, Kind, KubeJson.DeepCopy(Metadata), fields);
    }

    /// <summary>
    /// Marks the object as held by a cache: reads then parse its fields afresh each time instead of keeping a tree
    /// on it (the last version of every finished object would otherwise keep one for good), and writes throw.
    /// </summary>
    internal void MarkShared()
    {
        if (Volatile.Read(ref _fields) is null)
        {
            _shared = true;
        }
    }

    private void ThrowIfShared()
    {
        if (_shared)
        {
            throw new InvalidOperationException($"{Kind} {Metadata.NamespaceProperty}/{Metadata.Name} is shared by a cache: change a copy");
        }
    }

    private JsonObject Materialize()
    {
        // Racing readers of a shared (cached) object: one parse wins, and _raw is dropped only once _fields is set.
        var raw = Volatile.Read(ref _raw);
        var parsed = raw is null ? [] : JsonNode.Parse(raw) as JsonObject ?? throw new JsonException("fields are not a JSON object");
        var fields = Interlocked.CompareExchange(ref _fields, parsed, null) ?? parsed;
        Volatile.Write(ref _raw, null);
        return fields;
    }

    private void Set(string field, JsonObject? value)
    {
        ThrowIfShared();
        if (value is null)
        {
            Fields.Remove(field);
        }
        else
        {
            Fields[field] = value.Parent is null ? value : value.DeepClone();
        }
    }
}

/// <summary>
/// Reads and writes <see cref="GenericObject"/> as the flat Kubernetes object it is. (KubernetesJson's
/// options do not round-trip a JsonObject extension-data property, so the mapping is explicit.) Reading
/// streams once through the object: metadata straight into <see cref="V1ObjectMeta"/>, every other field
/// copied token by token into one compact UTF-8 buffer; no JsonDocument or node tree is built.
/// </summary>
public sealed class GenericObjectConverter : JsonConverter<GenericObject>
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public override GenericObject Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("expected a JSON object");
        }

        string apiVersion = "", kind = "";
        V1ObjectMeta? metadata = null;
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var any = false;
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder }))
        {
            writer.WriteStartObject();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("apiVersion"u8))
                {
                    reader.Read();
                    apiVersion = reader.GetString() ?? "";
                }
                else if (reader.ValueTextEquals("kind"u8))
                {
                    reader.Read();
                    kind = reader.GetString() ?? "";
                }
                else if (reader.ValueTextEquals("metadata"u8))
                {
                    reader.Read();
                    metadata = JsonSerializer.Deserialize<V1ObjectMeta>(ref reader, options);
                }
                else
                {
                    any = true;
                    CopyToken(ref reader, writer);
                    reader.Read();
                    CopyValue(ref reader, writer);
                }
            }

            writer.WriteEndObject();
        }

        var fields = any ? buffer.WrittenSpan.ToArray() : null;
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null; // do not keep a huge buffer per thread
        }

        return GenericObject.FromJson(apiVersion, kind, metadata ?? new V1ObjectMeta(), fields);
    }

    public override void Write(Utf8JsonWriter writer, GenericObject value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("apiVersion", value.ApiVersion);
        writer.WriteString("kind", value.Kind);
        writer.WritePropertyName("metadata");
        JsonSerializer.Serialize(writer, value.Metadata, options);
        if (value.UnreadFields is { } raw)
        {
            var reader = new Utf8JsonReader(raw);
            reader.Read(); // {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                CopyToken(ref reader, writer);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                writer.WriteRawValue(raw.AsSpan(start, (int)reader.BytesConsumed - start), skipInputValidation: true);
            }
        }
        else
        {
            foreach (var (name, field) in value.Fields)
            {
                writer.WritePropertyName(name);
                if (field is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    field.WriteTo(writer, options);
                }
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>Copies the value the reader is on (a whole object or array included), leaving the reader on its last token.</summary>
    private static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        CopyToken(ref reader, writer);
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }

        var depth = reader.CurrentDepth;
        while (reader.Read())
        {
            CopyToken(ref reader, writer);
            if (reader.CurrentDepth == depth)
            {
                return; // the matching end token
            }
        }

        throw new JsonException("incomplete JSON value");
    }

    private static void CopyToken(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                break;
            case JsonTokenType.EndObject:
                writer.WriteEndObject();
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                break;
            case JsonTokenType.EndArray:
                writer.WriteEndArray();
                break;
            case JsonTokenType.PropertyName when !reader.ValueIsEscaped && !reader.HasValueSequence:
                writer.WritePropertyName(reader.ValueSpan);
                break;
            case JsonTokenType.PropertyName:
                writer.WritePropertyName(reader.GetString()!);
                break;
            case JsonTokenType.String when !reader.ValueIsEscaped && !reader.HasValueSequence:
                writer.WriteStringValue(reader.ValueSpan);
                break;
            case JsonTokenType.String:
                writer.WriteStringValue(reader.GetString());
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan, skipInputValidation: true);
                break;
            case JsonTokenType.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonTokenType.False:
                writer.WriteBooleanValue(false);
                break;
            case JsonTokenType.Null:
                writer.WriteNullValue();
                break;
            default:
                throw new JsonException($"unexpected {reader.TokenType} in a Kubernetes object");
        }
    }
}
