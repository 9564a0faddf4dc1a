using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>
/// JSON to protobuf bytes, laid out as the gogo-generated <c>MarshalToSizedBuffer</c> of k8s.io/api's generated.pb.go
/// writes the Go struct that JSON decodes to: fields in ascending number; a non-nullable (Go value) field always, at
/// its zero value when the JSON lacks it; a nullable one (pointer, slice, map, []byte) only when set; map entries by
/// sorted key (github.com/gogo/protobuf/sortkeys); repeated scalars unpacked (proto2). The same object so comes out
/// byte for byte as a Go client or server would send it. Keys the message does not have are dropped, as
/// encoding/json drops unknown keys.
/// </summary>
internal static class JsonToProto
{
    public static void Object(WireWriter w, ProtoMessage message, JsonObject? obj, int depth)
    {
        if (depth > ProtoToJson.MaxDepth)
        {
            throw new KubeProtobufException("proto: exceeded maximum recursion depth");
        }

        foreach (var field in message.ByAscendingNumber)
        {
            if (field.Inline)
            {
                // An embedded json:",inline" struct reads its fields from the parent's JSON object.
                Embedded(w, field.Number, field.Message!, obj, depth);
                continue;
            }

            var value = obj?[field.Name];
            if (field.IsMap)
            {
                if (value is JsonObject map)
                {
                    Map(w, field, map, depth);
                }
                else if (value is not null)
                {
                    throw Mismatch(message, field, value);
                }
            }
            else if (field.Repeated)
            {
                if (value is JsonArray items)
                {
                    foreach (var item in items)
                    {
                        Single(w, message, field, item, depth);
                    }
                }
                else if (value is not null)
                {
                    throw Mismatch(message, field, value);
                }
            }
            else if (value is not null || !field.Nullable && field.Type != ProtoType.Bytes)
            {
                Single(w, message, field, value, depth);
            }
        }
    }

    private static void Map(WireWriter w, ProtoField field, JsonObject map, int depth)
    {
        var entry = field.Message!;
        foreach (var key in map.Select(p => p.Key).Order(StringComparer.Ordinal))
        {
            var e = new WireWriter();
            Single(e, entry, entry.ByNumber[1], key, depth);
            if (map[key] is not null || entry.ByNumber[2].Type != ProtoType.Bytes)
            {
                Single(e, entry, entry.ByNumber[2], map[key], depth);
            }

            w.BytesField(field.Number, e.Written);
        }
    }

    /// <summary>One value of a field (null: the Go zero value).</summary>
    private static void Single(WireWriter w, ProtoMessage owner, ProtoField field, JsonNode? value, int depth)
    {
        var n = field.Number;
        switch (field.Type)
        {
            case ProtoType.Message:
                Embedded(w, n, field.Message!, value, depth);
                return;
            case ProtoType.String:
                w.StringField(n, value is null ? "" : Text(owner, field, value));
                return;
            case ProtoType.Bytes:
                w.BytesField(n, value is null ? [] : Base64(owner, field, value));
                return;
            case ProtoType.Bool:
                w.VarintField(n, value is null ? 0UL : value.GetValueKind() switch
                {
                    JsonValueKind.True => 1UL,
                    JsonValueKind.False => 0UL,
                    _ => throw Mismatch(owner, field, value),
                });
                return;
            case ProtoType.Double:
                w.Tag(n, WireType.Fixed64);
                w.Fixed64((ulong)BitConverter.DoubleToInt64Bits(value is null ? 0 : Number(owner, field, value)));
                return;
            case ProtoType.Float:
                w.Tag(n, WireType.Fixed32);
                w.Fixed32((uint)BitConverter.SingleToInt32Bits((float)(value is null ? 0 : Number(owner, field, value))));
                return;
        }

        var integer = value is null ? 0 : Integer(owner, field, value);
        switch (field.Type)
        {
            case ProtoType.Fixed32 or ProtoType.SFixed32:
                w.Tag(n, WireType.Fixed32);
                w.Fixed32((uint)integer);
                break;
            case ProtoType.Fixed64 or ProtoType.SFixed64:
                w.Tag(n, WireType.Fixed64);
                w.Fixed64((ulong)integer);
                break;
            case ProtoType.SInt32 or ProtoType.SInt64:
                w.VarintField(n, (ulong)((integer << 1) ^ (integer >> 63)));
                break;
            case ProtoType.Int32 or ProtoType.Enum:
                // Go's encodeVarint(uint64(int32)) sign-extends a negative int32 to ten bytes.
                w.VarintField(n, (ulong)(long)(int)integer);
                break;
            default:
                w.VarintField(n, (ulong)integer);
                break;
        }
    }

    /// <summary>A message-typed field: the hand-written marshallers, else the fields, behind its tag and length.</summary>
    private static void Embedded(WireWriter w, int number, ProtoMessage message, JsonNode? value, int depth)
    {
        var inner = new WireWriter();
        switch (message.Special)
        {
            case SpecialMessage.Time or SpecialMessage.MicroTime:
                // time_proto.go: the zero time marshals to no bytes; Time keeps whole seconds (nanos 0), MicroTime both.
                if (value is not null)
                {
                    var (seconds, nanos) = GoFormats.ParseTime(Text(message, null, value));
                    inner.VarintField(1, (ulong)seconds);
                    inner.VarintField(2, message.Special == SpecialMessage.Time ? 0UL : (ulong)nanos);
                }

                break;
            case SpecialMessage.Duration:
                inner.VarintField(1, (ulong)(value is null ? 0 : GoFormats.ParseDuration(Text(message, null, value))));
                break;
            case SpecialMessage.Quantity:
                // quantity_proto.go writes q.String(), "0" for the zero quantity; a JSON number is its text.
                inner.StringField(1, value switch
                {
                    null => "0",
                    JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
                    _ => Text(message, null, value),
                });
                break;
            case SpecialMessage.IntOrString:
            {
                // intstr.go: a JSON string is Type String (1), a number Type Int (0); all three fields are Go values.
                var isString = value?.GetValueKind() == JsonValueKind.String;
                inner.VarintField(1, isString ? 1UL : 0UL);
                inner.VarintField(2, isString || value is null ? 0UL : (ulong)(long)(int)Integer(message, message.ByNumber[2], value));
                inner.StringField(3, isString ? value!.GetValue<string>() : "");
                break;
            }

            case SpecialMessage.RawExtension or SpecialMessage.FieldsV1:
                // RawExtension.UnmarshalJSON / FieldsV1.UnmarshalJSON keep the JSON text; null leaves Raw nil (not written).
                if (value is not null)
                {
                    inner.BytesField(1, Encoding.UTF8.GetBytes(value.ToJsonString()));
                }

                break;
            case SpecialMessage.StringList:
                if (value is JsonArray list)
                {
                    foreach (var item in list)
                    {
                        inner.StringField(1, item is null ? "" : Text(message, message.ByNumber[1], item));
                    }
                }
                else if (value is not null)
                {
                    throw Mismatch(message, message.ByNumber[1], value);
                }

                break;
            default:
                if (value is not null and not JsonObject)
                {
                    throw new KubeProtobufException($"json: cannot unmarshal {Describe(value)} into Go value of type {message.Name}");
                }

                Object(inner, message, value as JsonObject, depth + 1);
                break;
        }

        w.BytesField(number, inner.Written);
    }

    private static string Text(ProtoMessage owner, ProtoField? field, JsonNode value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Mismatch(owner, field, value);

    private static byte[] Base64(ProtoMessage owner, ProtoField field, JsonNode value)
    {
        try
        {
            return Convert.FromBase64String(Text(owner, field, value));
        }
        catch (FormatException)
        {
            throw new KubeProtobufException($"illegal base64 data in {owner.Name}.{field.Name}");
        }
    }

    private static double Number(ProtoMessage owner, ProtoField field, JsonNode value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : throw Mismatch(owner, field, value);

    private static long Integer(ProtoMessage owner, ProtoField field, JsonNode value)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue<long>(out var l))
            {
                return l;
            }

            if (v.TryGetValue<ulong>(out var u))
            {
                return (long)u;
            }

            if (decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d) && d is >= long.MinValue and <= long.MaxValue)
            {
                return (long)d;
            }
        }

        throw Mismatch(owner, field, value);
    }

    /// <summary>encoding/json's <c>UnmarshalTypeError</c> text for a value of the wrong JSON type.</summary>
    private static KubeProtobufException Mismatch(ProtoMessage owner, ProtoField? field, JsonNode value) =>
        new($"json: cannot unmarshal {Describe(value)} into Go struct field {owner.Name}.{field?.Name ?? owner.Name} of type {field?.Type.ToString().ToLowerInvariant() ?? owner.Name}");

    private static string Describe(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        _ => "bool",
    };
}
