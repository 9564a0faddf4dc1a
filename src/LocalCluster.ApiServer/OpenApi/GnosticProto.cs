using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.OpenApi;

/// <summary>
/// A Swagger 2.0 document (JSON) as the protobuf of gnostic's <c>openapi.v2.Document</c>
/// (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto), what kube-openapi's handler serves for
/// <c>application/com.github.proto-openapi.spec.v2@v1.0+protobuf</c> (pkg/handler/handler.go <c>ToProtoBinary</c>:
/// <c>openapi_v2.ParseDocument</c> then <c>proto.Marshal</c>). Only the parts the server's document has are encoded:
/// info, paths with their operations, parameters and responses, definitions, the security scheme, and vendor
/// extensions, whose values gnostic keeps as YAML text (<c>NewAny</c>).
/// </summary>
internal static class GnosticProto
{
    public static byte[] Encode(JsonObject swagger)
    {
        var doc = new ProtoWriter()
            .String(1, Str(swagger["swagger"]))
            .Message(2, swagger["info"] is JsonObject info ? Info(info) : null)
            .String(3, Str(swagger["host"]))
            .String(4, Str(swagger["basePath"]))
            .Strings(5, StrList(swagger["schemes"]))
            .Strings(6, StrList(swagger["consumes"]))
            .Strings(7, StrList(swagger["produces"]))
            .Message(8, swagger["paths"] is JsonObject paths ? Paths(paths) : null)
            .Message(9, swagger["definitions"] is JsonObject defs ? NamedSchemas(defs) : null);
        foreach (var requirement in swagger["security"] as JsonArray ?? [])
        {
            var r = new ProtoWriter();
            foreach (var (name, scopes) in requirement as JsonObject ?? [])
            {
                r.Message(1, new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Strings(1, StrList(scopes))));
            }

            doc.Message(12, r);
        }

        if (swagger["securityDefinitions"] is JsonObject security)
        {
            var s = new ProtoWriter();
            foreach (var (name, def) in security)
            {
                // Only apiKey schemes (kube-apiserver's BearerToken): SecurityDefinitionsItem.api_key_security = 2.
                var apiKey = new ProtoWriter().String(1, Str(def?["type"])).String(2, Str(def?["name"])).String(3, Str(def?["in"])).String(4, Str(def?["description"]));
                s.Message(1, new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(2, apiKey)));
            }

            doc.Message(13, s);
        }

        Extensions(doc, 16, swagger);
        return doc.ToArray();
    }

    private static ProtoWriter Info(JsonObject info)
    {
        var w = new ProtoWriter().String(1, Str(info["title"])).String(2, Str(info["version"])).String(3, Str(info["description"]));
        return Extensions(w, 7, info);
    }

    private static ProtoWriter Paths(JsonObject paths)
    {
        var w = new ProtoWriter();
        Extensions(w, 1, paths);
        foreach (var (path, item) in paths)
        {
            if (path.StartsWith("x-", StringComparison.Ordinal) || item is not JsonObject pathItem)
            {
                continue;
            }

            var p = new ProtoWriter();
            foreach (var (method, field) in (ReadOnlySpan<(string, int)>)[("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("options", 6), ("head", 7), ("patch", 8)])
            {
                p.Message(field, pathItem[method] is JsonObject op ? Operation(op) : null);
            }

            Parameters(p, 9, pathItem["parameters"]);
            Extensions(p, 10, pathItem);
            w.Message(2, new ProtoWriter().String(1, path).Message(2, p));
        }

        return w;
    }

    private static ProtoWriter Operation(JsonObject op)
    {
        var w = new ProtoWriter()
            .Strings(1, StrList(op["tags"]))
            .String(2, Str(op["summary"]))
            .String(3, Str(op["description"]))
            .String(5, Str(op["operationId"]))
            .Strings(6, StrList(op["produces"]))
            .Strings(7, StrList(op["consumes"]));
        Parameters(w, 8, op["parameters"]);
        if (op["responses"] is JsonObject responses)
        {
            var r = new ProtoWriter();
            foreach (var (code, response) in responses)
            {
                if (code.StartsWith("x-", StringComparison.Ordinal) || response is not JsonObject resp)
                {
                    continue;
                }

                var value = resp["$ref"] is { } rf
                    ? new ProtoWriter().Message(2, new ProtoWriter().String(1, Str(rf)))
                    : new ProtoWriter().Message(1, Response(resp));
                r.Message(1, new ProtoWriter().String(1, code).Message(2, value));
            }

            Extensions(r, 2, responses);
            w.Message(9, r);
        }

        w.Strings(10, StrList(op["schemes"])).Bool(11, op["deprecated"] is JsonValue d && d.GetValueKind() == JsonValueKind.True);
        return Extensions(w, 13, op);
    }

    private static ProtoWriter Response(JsonObject resp)
    {
        var w = new ProtoWriter().String(1, Str(resp["description"]));
        if (resp["schema"] is JsonObject schema)
        {
            w.Message(2, new ProtoWriter().Message(1, Schema(schema)));
        }

        return Extensions(w, 5, resp);
    }

    /// <summary>ParametersItem: a JSON reference, a body parameter, or a query/path/header parameter sub-schema.</summary>
    private static void Parameters(ProtoWriter w, int field, JsonNode? parameters)
    {
        foreach (var node in parameters as JsonArray ?? [])
        {
            if (node is not JsonObject p)
            {
                continue;
            }

            if (p["$ref"] is { } rf)
            {
                w.Message(field, new ProtoWriter().Message(2, new ProtoWriter().String(1, Str(rf))));
                continue;
            }

            var where = Str(p["in"]);
            ProtoWriter parameter;
            if (where == "body")
            {
                var body = new ProtoWriter().String(1, Str(p["description"])).String(2, Str(p["name"])).String(3, where).Bool(4, IsTrue(p["required"]))
                    .Message(5, p["schema"] is JsonObject s ? Schema(s) : null);
                parameter = new ProtoWriter().Message(1, Extensions(body, 6, p));
            }
            else
            {
                // Query (3) and path (4) sub-schemas differ in layout: query has allow_empty_value at 5, shifting the rest by one.
                var (kind, shift) = where switch { "query" => (3, 1), "header" => (1, 0), "formData" => (2, 1), _ => (4, 0) };
                var sub = new ProtoWriter().Bool(1, IsTrue(p["required"])).String(2, where).String(3, Str(p["description"])).String(4, Str(p["name"]));
                if (shift == 1)
                {
                    sub.Bool(5, IsTrue(p["allowEmptyValue"]));
                }

                sub.String(5 + shift, Str(p["type"])).String(6 + shift, Str(p["format"]))
                    .Message(9 + shift, p["default"] is { } def ? AnyOf(def) : null)
                    .String(16 + shift, Str(p["pattern"]))
                    .Bool(19 + shift, IsTrue(p["uniqueItems"]));
                foreach (var e in p["enum"] as JsonArray ?? [])
                {
                    sub.Message(20 + shift, AnyOf(e));
                }

                Extensions(sub, 22 + shift, p);
                parameter = new ProtoWriter().Message(2, new ProtoWriter().Message(kind, sub));
            }

            w.Message(field, new ProtoWriter().Message(1, parameter));
        }
    }

    private static ProtoWriter NamedSchemas(JsonObject schemas)
    {
        var w = new ProtoWriter();
        foreach (var (name, schema) in schemas)
        {
            w.Message(1, new ProtoWriter().String(1, name).Message(2, schema is JsonObject s ? Schema(s) : new ProtoWriter()));
        }

        return w;
    }

    private static ProtoWriter Schema(JsonObject s)
    {
        var w = new ProtoWriter()
            .String(1, Str(s["$ref"]))
            .String(2, Str(s["format"]))
            .String(3, Str(s["title"]))
            .String(4, Str(s["description"]))
            .Message(5, s["default"] is { } def ? AnyOf(def) : s.ContainsKey("default") ? AnyOf(null) : null)
            .Double(6, Num(s["multipleOf"]))
            .Double(7, Num(s["maximum"]))
            .Bool(8, IsTrue(s["exclusiveMaximum"]))
            .Double(9, Num(s["minimum"]))
            .Bool(10, IsTrue(s["exclusiveMinimum"]))
            .Int64(11, (long)Num(s["maxLength"]))
            .Int64(12, (long)Num(s["minLength"]))
            .String(13, Str(s["pattern"]))
            .Int64(14, (long)Num(s["maxItems"]))
            .Int64(15, (long)Num(s["minItems"]))
            .Bool(16, IsTrue(s["uniqueItems"]))
            .Int64(17, (long)Num(s["maxProperties"]))
            .Int64(18, (long)Num(s["minProperties"]))
            .Strings(19, StrList(s["required"]));
        foreach (var e in s["enum"] as JsonArray ?? [])
        {
            w.Message(20, AnyOf(e));
        }

        w.Message(21, s["additionalProperties"] switch
        {
            JsonObject a => new ProtoWriter().Message(1, Schema(a)),
            JsonValue b when b.GetValueKind() is JsonValueKind.True or JsonValueKind.False => BoolItem(b.GetValueKind() == JsonValueKind.True),
            _ => null,
        });
        w.Message(22, s["type"] switch
        {
            JsonArray types => new ProtoWriter().Strings(1, StrList(types)),
            JsonValue t => new ProtoWriter().Strings(1, [t.ToString()]),
            _ => null,
        });
        w.Message(23, s["items"] switch
        {
            JsonObject one => new ProtoWriter().Message(1, Schema(one)),
            JsonArray many => Each(new ProtoWriter(), 1, many),
            _ => null,
        });
        Each(w, 24, s["allOf"] as JsonArray ?? []);
        w.Message(25, s["properties"] is JsonObject props ? NamedSchemas(props) : null);
        w.String(26, Str(s["discriminator"])).Bool(27, IsTrue(s["readOnly"]))
            .Message(30, s["example"] is { } example ? AnyOf(example) : null);
        return Extensions(w, 31, s);
    }

    // AdditionalPropertiesItem.boolean (2) is a oneof member: false is written too, so the choice is kept.
    private static ProtoWriter BoolItem(bool value) => new ProtoWriter().OneofBool(2, value);

    private static ProtoWriter Each(ProtoWriter w, int field, JsonArray schemas)
    {
        foreach (var s in schemas.OfType<JsonObject>())
        {
            w.Message(field, Schema(s));
        }

        return w;
    }

    /// <summary>Vendor extensions (keys starting with <c>x-</c>) as NamedAny, their values as YAML.</summary>
    private static ProtoWriter Extensions(ProtoWriter w, int field, JsonObject owner)
    {
        foreach (var (key, value) in owner)
        {
            if (key.StartsWith("x-", StringComparison.Ordinal))
            {
                w.Message(field, new ProtoWriter().String(1, key).Message(2, AnyOf(value)));
            }
        }

        return w;
    }

    /// <summary>gnostic's Any: the value's YAML text (field 2).</summary>
    private static ProtoWriter AnyOf(JsonNode? value) => new ProtoWriter().String(2, YamlWriter.Write(value?.DeepClone()));

    private static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static IEnumerable<string> StrList(JsonNode? n) => (n as JsonArray ?? []).Select(Str).OfType<string>();

    private static bool IsTrue(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static double Num(JsonNode? n) =>
        n is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture) : 0;
}
