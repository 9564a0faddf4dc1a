using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>
/// Protobuf bytes to the JSON the Go types would marshal: the gogo-generated <c>Unmarshal</c> of k8s.io/api's
/// generated.pb.go into the Go struct, then encoding/json of that struct. Keys are the proto field names (go-to-protobuf
/// names fields after their json tags) in declaration order (the Go struct's); a field absent from the wire is absent
/// from the JSON; a non-nullable (Go value, not pointer) scalar at its zero value is left out as its <c>omitempty</c> tag
/// would, while a nullable one (a Go pointer) keeps an explicitly sent <c>""</c>, <c>0</c> or <c>false</c>.
/// </summary>
internal static class ProtoToJson
{
    /// <summary>Deeper bodies fail instead of exhausting the stack (no Kubernetes type nests anywhere near this).</summary>
    public const int MaxDepth = 100;

    public static JsonObject Object(ProtoMessage message, ReadOnlySpan<byte> data, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new KubeProtobufException("proto: exceeded maximum recursion depth");
        }

        var values = new JsonNode?[message.Fields.Count];
        var present = new bool[message.Fields.Count];
        var reader = new WireReader(data, message.Name);
        while (!reader.End)
        {
            var (number, wire) = reader.ReadTag();
            if (!message.ByNumber.TryGetValue(number, out var field))
            {
                reader.Skip(wire);
                continue;
            }

            var i = field.Index;
            if (field.IsMap)
            {
                var entry = Expect(ref reader, wire, WireType.Bytes, field).ReadBytes();
                MapEntry(field.Message!, entry, (values[i] ??= new JsonObject()).AsObject(), depth + 1);
            }
            else if (field.Repeated)
            {
                var items = (values[i] ??= new JsonArray()).AsArray();
                if (wire == WireType.Bytes && WireTypeOf(field.Type) is not WireType.Bytes)
                {
                    // Packed scalars: gogo's Unmarshal reads both encodings of a repeated number.
                    var packed = new WireReader(reader.ReadBytes(), message.Name);
                    while (!packed.End)
                    {
                        items.Add(Value(ref packed, field, WireTypeOf(field.Type), depth));
                    }
                }
                else
                {
                    items.Add(Value(ref reader, field, wire, depth));
                }
            }
            else
            {
                values[i] = Value(ref reader, field, wire, depth);
            }

            present[i] = true;
        }

        var result = new JsonObject();
        foreach (var field in message.Fields)
        {
            var value = values[field.Index];
            if (!present[field.Index])
            {
                continue;
            }

            if (field.Inline && value is JsonObject embedded)
            {
                var properties = embedded.ToList();
                embedded.Clear();
                foreach (var (key, node) in properties)
                {
                    result[key] = node;
                }
            }
            else if (field.Repeated || field.Nullable || field.Type == ProtoType.Message || !IsZero(value))
            {
                result[field.Name] = value;
            }
        }

        return result;
    }

    /// <summary>The JSON of a message-typed value: the hand-written marshallers, else the fields.</summary>
    public static JsonNode? Message(ProtoMessage message, ReadOnlySpan<byte> payload, int depth)
    {
        switch (message.Special)
        {
            case SpecialMessage.Time:
            case SpecialMessage.MicroTime:
            {
                // time_proto.go Time.Unmarshal: no bytes is the zero time, which Time.MarshalJSON writes as null; Time drops
                // the nanoseconds (its JSON only ever had seconds), MicroTime keeps them (micro_time_proto.go).
                if (payload.IsEmpty)
                {
                    return null;
                }

                var stamp = Object(message, payload, depth + 1);
                var seconds = stamp["seconds"]?.GetValue<long>() ?? 0;
                return message.Special == SpecialMessage.Time
                    ? GoFormats.Time(seconds)
                    : GoFormats.MicroTime(seconds, stamp["nanos"]?.GetValue<int>() ?? 0);
            }

            case SpecialMessage.Duration:
                return GoFormats.Duration(Object(message, payload, depth + 1)["duration"]?.GetValue<long>() ?? 0);
            case SpecialMessage.Quantity:
                // quantity_proto.go Quantity.Unmarshal parses field 1; a Quantity never set is the zero quantity, "0".
                return Object(message, payload, depth + 1)["string"]?.GetValue<string>() is { Length: > 0 } q ? q : "0";
            case SpecialMessage.IntOrString:
            {
                // intstr.go IntOrString.MarshalJSON: the int or the string by Type.
                var fields = Object(message, payload, depth + 1);
                return (fields["type"]?.GetValue<long>() ?? 0) switch
                {
                    0 => JsonValue.Create(fields["intVal"]?.GetValue<int>() ?? 0),
                    1 => JsonValue.Create(fields["strVal"]?.GetValue<string>() ?? ""),
                    _ => throw new KubeProtobufException("impossible IntOrString.Type"),
                };
            }

            case SpecialMessage.RawExtension:
            case SpecialMessage.FieldsV1:
                return Embedded(RawField(payload, message), depth + 1);
            case SpecialMessage.StringList:
            {
                // A named []string (ExtraValue, Verbs): a JSON array, null when empty as a nil slice is.
                var fields = Object(message, payload, depth + 1);
                var items = fields["items"];
                fields.Remove("items");
                return items;
            }

            default:
                return Object(message, payload, depth);
        }
    }

    /// <summary>
    /// The bytes of a RawExtension or FieldsV1 as JSON (runtime/extension.go <c>RawExtension.MarshalJSON</c>, FieldsV1's
    /// <c>MarshalJSON</c>): null when unset, an object in the protobuf envelope decoded, else the JSON they hold.
    /// </summary>
    private static JsonNode? Embedded(byte[]? raw, int depth)
    {
        if (raw is null || raw.Length == 0)
        {
            return null;
        }

        if (raw.AsSpan().StartsWith(KubeProtobuf.Prefix))
        {
            return KubeProtobuf.DecodeEnvelope(raw, depth);
        }

        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException e)
        {
            throw new KubeProtobufException($"json: error calling MarshalJSON for type *runtime.RawExtension: {e.Message}");
        }
    }

    // The last field 1 of a RawExtension (raw) or FieldsV1 (Raw), a bytes field.
    private static byte[]? RawField(ReadOnlySpan<byte> payload, ProtoMessage message)
    {
        byte[]? raw = null;
        var reader = new WireReader(payload, message.Name);
        while (!reader.End)
        {
            var (number, wire) = reader.ReadTag();
            if (number == 1)
            {
                raw = Expect(ref reader, wire, WireType.Bytes, message.ByNumber[1]).ReadBytes().ToArray();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return raw;
    }

    private static void MapEntry(ProtoMessage entry, ReadOnlySpan<byte> data, JsonObject target, int depth)
    {
        var keyField = entry.ByNumber[1];
        var valueField = entry.ByNumber[2];
        JsonNode? key = null, value = null;
        bool hasValue = false;
        var reader = new WireReader(data, entry.Name);
        while (!reader.End)
        {
            var (number, wire) = reader.ReadTag();
            switch (number)
            {
                case 1:
                    key = Value(ref reader, keyField, wire, depth);
                    break;
                case 2:
                    value = Value(ref reader, valueField, wire, depth);
                    hasValue = true;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        // An entry without a value holds the value type's zero, as gogo's map Unmarshal leaves it.
        if (!hasValue)
        {
            value = valueField.Type switch
            {
                ProtoType.Message => Message(valueField.Message!, [], depth),
                ProtoType.String or ProtoType.Bytes => "",
                ProtoType.Bool => false,
                _ => 0,
            };
        }

        target[key?.ToString() ?? ""] = value;
    }

    private static JsonNode? Value(ref WireReader reader, ProtoField field, WireType wire, int depth)
    {
        Expect(ref reader, wire, WireTypeOf(field.Type), field);
        return field.Type switch
        {
            ProtoType.Message => Message(field.Message!, reader.ReadBytes(), depth + 1),
            ProtoType.String => Encoding.UTF8.GetString(reader.ReadBytes()),
            ProtoType.Bytes => Convert.ToBase64String(reader.ReadBytes()),
            ProtoType.Bool => reader.ReadVarint() != 0,
            ProtoType.Int32 or ProtoType.Enum => (int)reader.ReadVarint(),
            ProtoType.Int64 => (long)reader.ReadVarint(),
            ProtoType.UInt32 => (uint)reader.ReadVarint(),
            ProtoType.UInt64 => reader.ReadVarint(),
            ProtoType.SInt32 => (int)ZigZag(reader.ReadVarint()),
            ProtoType.SInt64 => ZigZag(reader.ReadVarint()),
            ProtoType.Fixed32 => reader.ReadFixed32(),
            ProtoType.SFixed32 => (int)reader.ReadFixed32(),
            ProtoType.Fixed64 => reader.ReadFixed64(),
            ProtoType.SFixed64 => (long)reader.ReadFixed64(),
            ProtoType.Float => Finite(BitConverter.Int32BitsToSingle((int)reader.ReadFixed32())),
            ProtoType.Double => Finite(BitConverter.Int64BitsToDouble((long)reader.ReadFixed64())),
            _ => throw new KubeProtobufException($"proto: {field.GoName}: unsupported field type {field.Type}"),
        };
    }

    private static ref WireReader Expect(ref WireReader reader, WireType actual, WireType expected, ProtoField field)
    {
        if (actual != expected)
        {
            throw reader.WrongWireType(actual, field.GoName);
        }

        return ref reader;
    }

    public static WireType WireTypeOf(ProtoType type) => type switch
    {
        ProtoType.Double or ProtoType.Fixed64 or ProtoType.SFixed64 => WireType.Fixed64,
        ProtoType.Float or ProtoType.Fixed32 or ProtoType.SFixed32 => WireType.Fixed32,
        ProtoType.String or ProtoType.Bytes or ProtoType.Message => WireType.Bytes,
        ProtoType.Group => WireType.StartGroup,
        _ => WireType.Varint,
    };

    private static long ZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    private static JsonNode Finite(double v) =>
        double.IsFinite(v) ? JsonValue.Create(v) : throw new KubeProtobufException($"json: unsupported value: {v}");

    private static bool IsZero(JsonNode? value) => value is JsonValue v && v.GetValueKind() switch
    {
        JsonValueKind.String => v.GetValue<string>().Length == 0,
        JsonValueKind.False => true,
        JsonValueKind.Number => v.ToJsonString() is "0" or "0.0" or "-0",
        _ => false,
    };
}
