using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.OpenApi;

/// <summary>The served /openapi/v2 document: its JSON, its gnostic protobuf, and the ETag both share.</summary>
internal sealed record OpenApiV2Spec(byte[] Json, byte[] Protobuf, string ETag, DateTimeOffset LastModified);

/// <summary>
/// The Swagger 2.0 document of every served resource: the same operations as the v3 documents
/// (<see cref="OpenApiRoutes"/>) and the same definitions, turned into v2 as apiextensions-apiserver publishes CRD
/// schemas in v2 (pkg/controller/openapi/v2/conversion.go <c>ToStructuralOpenAPIV2</c>, builder.go
/// <c>buildKubeNative</c>). kubectl and Helm validate manifests against it when they cannot leave that to the server
/// (a <c>kind: List</c>, a group without v3): kubectl's validator rejects fields a definition does not list, so a
/// kind whose fields the server does not model is published as a bare object, like a CRD without a schema, and
/// without its group-version-kind: kubectl then neither validates it nor builds apply patches from it (it would
/// fail on the missing fields), and keeps to the types compiled into it, as it does for a kind v2 does not know.
/// </summary>
internal sealed class OpenApiV2(OpenApiDocuments documents, TimeProvider time)
{
    private const string V3Prefix = "#/components/schemas/";
    private const string V2Prefix = "#/definitions/";

    // The Schema keys OpenAPI v2 has (gnostic's NewSchema allowedKeys); vendor extensions are kept as well.
    private static readonly HashSet<string> SchemaKeys =
    [
        "$ref", "additionalProperties", "allOf", "default", "description", "discriminator", "enum", "example", "exclusiveMaximum",
        "exclusiveMinimum", "externalDocs", "format", "items", "maxItems", "maxLength", "maxProperties", "maximum", "minItems",
        "minLength", "minProperties", "minimum", "multipleOf", "pattern", "properties", "readOnly", "required", "title", "type",
        "uniqueItems", "xml",
    ];

    private readonly Lock _lock = new();
    private (IReadOnlyList<ResourceType> Types, OpenApiV2Spec Spec)? _cached;

    /// <summary>The document for the registry as it is now; rebuilt only when the served resources changed.</summary>
    public OpenApiV2Spec Current()
    {
        // A CRD change registers a new ResourceType object, so the same objects mean the same document.
        var types = documents.Registry.All;
        lock (_lock)
        {
            if (_cached is { } c && c.Types.SequenceEqual(types, ReferenceEqualityComparer.Instance))
            {
                return c.Spec;
            }
        }

        var json = Encoding.UTF8.GetBytes(Document().ToJsonString());
        var spec = new OpenApiV2Spec(json, GnosticProto.Encode(JsonNode.Parse(json)!.AsObject()), Convert.ToHexString(SHA512.HashData(json)), time.GetUtcNow());
        lock (_lock)
        {
            _cached = (types, spec);
        }

        return spec;
    }

    public JsonObject Document()
    {
        var paths = new JsonObject();
        var definitions = new JsonObject();
        foreach (var (name, schema) in BuiltinSchemas.MetaDefinitions())
        {
            definitions[name] = ToV2(schema);
        }

        foreach (var (group, version) in documents.GroupVersions())
        {
            foreach (var (t, schemaName) in documents.Resources(group, version))
            {
                var gvk = new JsonObject { ["group"] = group, ["kind"] = t.Kind, ["version"] = version };
                definitions[schemaName] = Modelled(t, version)
                    ? ToV2(OpenApiDocuments.KindSchema(t, version, gvk))
                    : new JsonObject { ["type"] = "object" };
                definitions[schemaName + "List"] = ToV2(OpenApiDocuments.ListSchema(t, schemaName, version));
                foreach (var path in OpenApiRoutes.For(t, version, schemaName))
                {
                    var item = new JsonObject();
                    foreach (var op in path.Operations)
                    {
                        item[op.Method] = Operation(op, group, version);
                    }

                    paths[path.Path] = item;
                }
            }
        }

        return new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = documents.ServerVersion },
            ["paths"] = paths,
            ["definitions"] = definitions,
            ["securityDefinitions"] = new JsonObject
            {
                ["BearerToken"] = new JsonObject { ["description"] = "Bearer Token authentication", ["type"] = "apiKey", ["name"] = "authorization", ["in"] = "header" },
            },
            ["security"] = new JsonArray(new JsonObject { ["BearerToken"] = new JsonArray() }),
        };
    }

    /// <summary>
    /// Whether the kind's fields are all described: a CRD with a schema that does not keep unknown fields at its root,
    /// or a built-in whose schema the server fills in (PersistentVolume's volume sources are not all there).
    /// </summary>
    private static bool Modelled(ResourceType t, string version)
    {
        var schema = t.Version(version)?.Schema ?? (t.IsCustom ? null : BuiltinSchemas.For(t));
        return schema?["properties"] is JsonObject { Count: > 0 }
               && schema["x-kubernetes-preserve-unknown-fields"]?.GetValueKind() != JsonValueKind.True
               && t.Builtin != BuiltinKind.PersistentVolume;
    }

    private static JsonObject Operation(ApiOperation op, string group, string version)
    {
        var parameters = new JsonArray();
        if (op.Body is not null)
        {
            var body = new JsonObject { ["name"] = "body", ["in"] = "body", ["schema"] = new JsonObject { ["$ref"] = V2Prefix + op.Body } };
            if (op.Method != "delete")
            {
                body["required"] = true;
            }

            parameters.Add(body);
        }

        foreach (var p in op.Parameters)
        {
            var param = new JsonObject { ["uniqueItems"] = true, ["type"] = p.Type, ["description"] = p.Description, ["name"] = p.Name, ["in"] = p.In };
            if (p.Required)
            {
                param["required"] = true;
            }

            parameters.Add(param);
        }

        return new JsonObject
        {
            ["description"] = op.Description,
            ["consumes"] = new JsonArray([.. op.Consumes.Select(c => (JsonNode)c)]),
            ["produces"] = new JsonArray("application/json", "application/yaml"),
            ["schemes"] = new JsonArray("https"),
            ["tags"] = new JsonArray(Tag(group, version)),
            ["operationId"] = op.Id,
            ["parameters"] = parameters,
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject { ["description"] = "OK", ["schema"] = new JsonObject { ["$ref"] = V2Prefix + op.Response } },
                ["401"] = new JsonObject { ["description"] = "Unauthorized" },
            },
            ["x-kubernetes-action"] = op.Action,
            ["x-kubernetes-group-version-kind"] = op.Gvk.DeepClone(),
        };
    }

    /// <summary>The tag of a group version's operations: core_v1, apps_v1, rbacAuthorization_v1.</summary>
    private static string Tag(string group, string version)
    {
        var id = OpenApiRoutes.GroupVersionId(group, version);
        var g = id[..^version.Length];
        return char.ToLowerInvariant(g[0]) + g[1..] + "_" + version;
    }

    /// <summary>A v3 schema in v2's form (ToStructuralOpenAPIV2).</summary>
    public static JsonObject ToV2(JsonObject v3)
    {
        var s = new JsonObject();
        foreach (var (key, value) in v3)
        {
            if (key.StartsWith("x-", StringComparison.Ordinal) || SchemaKeys.Contains(key))
            {
                s[key] = value?.DeepClone();
            }
        }

        if (s["$ref"] is JsonValue r)
        {
            s["$ref"] = r.ToString().Replace(V3Prefix, V2Prefix, StringComparison.Ordinal);
        }

        // A field that only refers to another definition (metadata: allOf [ObjectMeta]) is that reference in v2; other
        // junctors are dropped, as v2 publishing of CRD schemas drops allOf, anyOf, oneOf and not.
        if (s["allOf"] is JsonArray { Count: 1 } one && one[0] is JsonObject single && single["$ref"] is JsonValue target && s["properties"] is null && s["type"] is null)
        {
            s.Remove("allOf");
            s.Remove("default");
            s["$ref"] = target.ToString().Replace(V3Prefix, V2Prefix, StringComparison.Ordinal);
        }

        s.Remove("allOf");
        var nullable = v3["nullable"]?.GetValueKind() == JsonValueKind.True;
        var preserve = v3["x-kubernetes-preserve-unknown-fields"]?.GetValueKind() == JsonValueKind.True;
        if (nullable || preserve)
        {
            // kubectl rejects unknown fields and nulls when a schema lists properties or a type.
            s.Remove("properties");
            s.Remove("items");
            if (nullable || s["type"]?.ToString() == "object")
            {
                s.Remove("type");
            }
        }

        if (s["properties"] is JsonObject props)
        {
            if (props.Count == 0)
            {
                // An empty property list reads as "no field allowed"; without it the object is a free map.
                s.Remove("properties");
            }
            else
            {
                foreach (var name in props.Select(p => p.Key).ToList())
                {
                    props[name] = props[name] is JsonObject child ? ToV2(child) : props[name]?.DeepClone();
                }
            }
        }

        if (s["items"] is JsonObject items)
        {
            s["items"] = ToV2(items);
        }
        else if (s["type"]?.ToString() == "array")
        {
            s.Remove("type");
        }

        if (s["additionalProperties"] is JsonObject additional)
        {
            s["additionalProperties"] = ToV2(additional);
        }

        return s;
    }
}
