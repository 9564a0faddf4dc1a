using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry.Decoding;

/// <summary>
/// Decoding a built-in kind's body as the real server decodes it into its Go struct
/// (staging/src/k8s.io/apimachinery/pkg/runtime/serializer/json/json.go over sigs.k8s.io/json's case-sensitive,
/// strict unmarshal): a value of the wrong type is a 400 with encoding/json's UnmarshalTypeError text (the first one,
/// naming the innermost struct and the field path without indexes), unknown fields are dropped and reported with
/// indexed paths (warnings, or a 400 <c>strict decoding error</c> under fieldValidation=Strict), nulls are dropped.
/// One pass over the body, no copy; strings are only built for an error.
/// </summary>
internal sealed class TypedDecoder
{
    private readonly List<(string? Key, int Index, bool Field)> _path = [];
    private List<string>? _unknown;
    private string? _error;

    /// <summary>Decodes <paramref name="obj"/> in place; returns the warnings (unknown fields under Warn).</summary>
    public static IReadOnlyList<string> Decode(ResourceType type, GoStruct root, JsonObject obj, FieldValidation validation)
    {
        var decoder = new TypedDecoder();
        decoder.Struct(obj, root, top: true);
        var prefix = $"{type.Kind} in version \"{type.StorageVersion}\" cannot be handled as a {type.Kind}: ";
        if (decoder._error is { } error)
        {
            throw ApiException.BadRequest(prefix + error);
        }

        if (decoder._unknown is not { } unknown)
        {
            return [];
        }

        return validation switch
        {
            FieldValidation.Strict => throw ApiException.BadRequest(prefix + "strict decoding error: " + string.Join(", ", unknown.Select(Unknown))),
            FieldValidation.Warn => [.. unknown.Select(Unknown)],
            _ => [],
        };
    }

    private static string Unknown(string path) => $"unknown field {StructuralSchema.Quote(path)}";

    private void Struct(JsonObject obj, GoStruct type, bool top = false)
    {
        List<string>? drop = null;
        foreach (var (key, value) in obj)
        {
            if (!type.Fields.TryGetValue(key, out var field))
            {
                (drop ??= []).Add(key);
                (_unknown ??= []).Add(PathTo(key));
                continue;
            }

            if (value is null)
            {
                (drop ??= []).Add(key);
                continue;
            }

            // apiVersion and kind were checked with the request's identity.
            if (top && key is "apiVersion" or "kind")
            {
                continue;
            }

            _path.Add((key, -1, true));
            Value(value, field, type);
            _path.RemoveAt(_path.Count - 1);
            if (_error is not null)
            {
                return;
            }
        }

        foreach (var key in drop ?? [])
        {
            obj.Remove(key);
        }
    }

    private void Value(JsonNode value, GoType type, GoStruct owner)
    {
        switch (type)
        {
            case GoStruct s when value is JsonObject o:
                Struct(o, s);
                break;
            case GoMap m when value is JsonObject o:
                List<string>? nulls = null;
                foreach (var (key, item) in o)
                {
                    if (item is null)
                    {
                        (nulls ??= []).Add(key);
                        continue;
                    }

                    _path.Add((key, -1, false));
                    Value(item, m.Value, owner);
                    _path.RemoveAt(_path.Count - 1);
                    if (_error is not null)
                    {
                        return;
                    }
                }

                foreach (var key in nulls ?? [])
                {
                    o.Remove(key);
                }

                break;
            case GoSlice s when value is JsonArray a:
                for (var i = 0; i < a.Count && _error is null; i++)
                {
                    if (a[i] is { } item)
                    {
                        _path.Add((null, i, false));
                        Value(item, s.Item, owner);
                        _path.RemoveAt(_path.Count - 1);
                    }
                }

                break;
            case GoScalar scalar:
                Scalar(value, scalar, owner);
                break;
            default:
                TypeError(Kind(value), type.Name, owner);
                break;
        }
    }

    private void Scalar(JsonNode value, GoScalar type, GoStruct owner)
    {
        var kind = Kind(value);
        switch (type.Kind)
        {
            case GoScalarKind.Any:
                return;
            case GoScalarKind.String when kind != "string":
            case GoScalarKind.Bool when kind != "bool":
            case GoScalarKind.Float64 when kind != "number":
                TypeError(kind, type.Name, owner);
                return;
            case GoScalarKind.Int32 or GoScalarKind.Int64 or GoScalarKind.IntOrString:
                var bits = type.Kind == GoScalarKind.Int64 ? "int64" : "int32";
                if (kind == "number" && !FitsInteger(value.AsValue(), bits == "int32"))
                {
                    TypeError("number " + value.ToJsonString(), bits, owner);
                }
                else if (kind != "number" && !(kind == "string" && type.Kind == GoScalarKind.IntOrString))
                {
                    TypeError(kind, bits, owner);
                }

                return;
            case GoScalarKind.Bytes:
                if (kind != "string")
                {
                    TypeError(kind, type.Name, owner);
                }
                else if (GoLiterals.Base64Error(value.GetValue<string>()) is { } base64)
                {
                    _error = base64;
                }

                return;
            case GoScalarKind.Time or GoScalarKind.MicroTime:
                // metav1.Time's UnmarshalJSON unmarshals a string first: other values fail as a string would.
                if (kind != "string")
                {
                    TypeError(kind, "string", owner);
                }
                else if (GoLiterals.TimeError(value.GetValue<string>(), micro: type.Kind == GoScalarKind.MicroTime) is { } time)
                {
                    _error = time;
                }

                return;
            case GoScalarKind.Quantity:
                if (GoLiterals.QuantityError(value) is { } quantity)
                {
                    _error = quantity;
                }

                return;
        }
    }

    /// <summary>encoding/json's UnmarshalTypeError with its context: the innermost struct and the field names from the root.</summary>
    private void TypeError(string value, string goType, GoStruct owner)
    {
        var fields = string.Join('.', _path.Where(p => p.Field).Select(p => p.Key));
        _error = $"json: cannot unmarshal {value} into Go struct field {owner.StructName}.{fields} of type {goType}";
    }

    /// <summary>A field path as sigs.k8s.io/json reports unknown fields: <c>spec.ports[0].name</c>.</summary>
    private string PathTo(string key)
    {
        var text = new StringBuilder();
        foreach (var (segment, index, _) in _path)
        {
            if (segment is null)
            {
                text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                (text.Length == 0 ? text : text.Append('.')).Append(segment);
            }
        }

        return (text.Length == 0 ? text : text.Append('.')).Append(key).ToString();
    }

    /// <summary>The JSON kind as encoding/json names it in an UnmarshalTypeError.</summary>
    private static string Kind(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => "null",
        },
    };

    /// <summary>strconv.ParseInt of the number's text (so <c>1.0</c> and <c>1e3</c> fail, as in Go) within the type's range.</summary>
    private static bool FitsInteger(JsonValue value, bool int32)
    {
        if (value.TryGetValue<int>(out _))
        {
            return true;
        }

        return long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
               && (!int32 || n is >= int.MinValue and <= int.MaxValue);
    }
}
