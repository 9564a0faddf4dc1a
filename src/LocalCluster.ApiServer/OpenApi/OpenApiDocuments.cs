using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.OpenApi;

/// <summary>
/// OpenAPI v3 index and per-group-version documents. kubectl needs: a <c>patch</c> operation per kind tagged with
/// <c>x-kubernetes-group-version-kind</c> and a <c>fieldValidation</c> parameter (else it falls back to openapi v2),
/// and component schemas tagged with the GVK for <c>explain</c>. The operations come from <see cref="OpenApiRoutes"/>,
/// as the v2 document's do (<see cref="OpenApiV2"/>).
/// </summary>
internal sealed class OpenApiDocuments(ResourceRegistry registry, string serverVersion)
{
    public const string ObjectMetaRef = BuiltinSchemas.MetaPrefix + "ObjectMeta";

    public ResourceRegistry Registry => registry;

    public string ServerVersion => serverVersion;

    public IEnumerable<(string Group, string Version)> GroupVersions() =>
        registry.All.SelectMany(t => t.Versions.Where(v => v.Served).Select(v => (t.Group, v.Name))).Distinct();

    public static string PathKey(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    public JsonObject Index()
    {
        var paths = new JsonObject();
        foreach (var (g, v) in GroupVersions())
        {
            var doc = Document(g, v);
            paths[PathKey(g, v)] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{PathKey(g, v)}?hash={Hash(doc)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static string Hash(JsonObject doc) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(doc.ToJsonString())));

    /// <summary>The document for "api/v1" or "apis/g/v"; null when that group version is not served.</summary>
    public JsonObject? Document(string pathKey)
    {
        foreach (var (g, v) in GroupVersions())
        {
            if (PathKey(g, v) == pathKey)
            {
                return Document(g, v);
            }
        }

        return null;
    }

    /// <summary>The resources served in a group version, with the schema name of each.</summary>
    public IEnumerable<(ResourceType Type, string SchemaName)> Resources(string group, string version) =>
        registry.All.Where(t => t.Group == group && t.Version(version) is not null).Select(t => (t, SchemaName(t, version)));

    private JsonObject Document(string group, string version)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var (name, schema) in BuiltinSchemas.MetaDefinitions())
        {
            schemas[name] = schema;
        }

        foreach (var (t, schemaName) in Resources(group, version))
        {
            var gvk = new JsonObject { ["group"] = group, ["kind"] = t.Kind, ["version"] = version };
            schemas[schemaName] = KindSchema(t, version, gvk);
            schemas[schemaName + "List"] = ListSchema(t, schemaName, version);
            foreach (var path in OpenApiRoutes.For(t, version, schemaName))
            {
                var item = new JsonObject();
                foreach (var op in path.Operations)
                {
                    item[op.Method] = Operation(op);
                }

                paths[path.Path] = item;
            }
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = serverVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["securitySchemes"] = new JsonObject
                {
                    ["BearerToken"] = new JsonObject { ["type"] = "apiKey", ["description"] = "Bearer Token authentication", ["name"] = "authorization", ["in"] = "header" },
                },
            },
        };
    }

    public static string SchemaName(ResourceType t, string version)
    {
        if (t.IsCustom)
        {
            var reversed = string.Join('.', t.Group.Split('.').Reverse());
            return $"{reversed}.{version}.{t.Kind}";
        }

        var pkg = t.Group switch
        {
            "" => "core",
            "coordination.k8s.io" => "coordination",
            "events.k8s.io" => "events",
            "authentication.k8s.io" => "authentication",
            "authorization.k8s.io" => "authorization",
            _ => t.Group.Split('.')[0],
        };
        return t.Builtin == BuiltinKind.CustomResourceDefinition
            ? $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}.{t.Kind}"
            : $"io.k8s.api.{pkg}.{version}.{t.Kind}";
    }

    private static JsonObject Operation(ApiOperation op)
    {
        var parameters = new JsonArray();
        foreach (var p in op.Parameters)
        {
            var param = new JsonObject { ["name"] = p.Name, ["in"] = p.In, ["description"] = p.Description };
            if (p.Required)
            {
                param["required"] = true;
            }

            param["schema"] = new JsonObject { ["type"] = p.Type, ["uniqueItems"] = true };
            parameters.Add(param);
        }

        var content = new JsonObject();
        foreach (var mediaType in (string[])["application/json", "application/yaml"])
        {
            content[mediaType] = new JsonObject { ["schema"] = Ref(op.Response) };
        }

        var json = new JsonObject
        {
            ["description"] = op.Description,
            ["operationId"] = op.Id,
            ["parameters"] = parameters,
        };
        if (op.Body is not null)
        {
            var body = new JsonObject();
            foreach (var mediaType in op.Consumes.Contains("*/*") ? ["*/*"] : op.Consumes)
            {
                body[mediaType] = new JsonObject { ["schema"] = Ref(op.Body) };
            }

            json["requestBody"] = new JsonObject { ["content"] = body, ["required"] = op.Method != "delete" };
        }

        json["responses"] = new JsonObject
        {
            ["200"] = new JsonObject { ["description"] = "OK", ["content"] = content },
            ["401"] = new JsonObject { ["description"] = "Unauthorized" },
        };
        json["x-kubernetes-action"] = op.Action;
        json["x-kubernetes-group-version-kind"] = op.Gvk.DeepClone();
        return json;
    }

    private static JsonObject Ref(string schemaName) => new() { ["$ref"] = $"#/components/schemas/{schemaName}" };

    public static JsonObject KindSchema(ResourceType t, string version, JsonObject gvk)
    {
        var schema = t.Version(version)?.Schema?.DeepClone().AsObject() ?? BuiltinSchemas.For(t);
        schema["type"] ??= "object";
        var props = schema["properties"] as JsonObject ?? new JsonObject();
        schema["properties"] = props;
        props["apiVersion"] = new JsonObject { ["description"] = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources", ["type"] = "string" };
        props["kind"] = new JsonObject { ["description"] = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds", ["type"] = "string" };
        props["metadata"] = new JsonObject
        {
            ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = $"#/components/schemas/{ObjectMetaRef}" }),
            ["default"] = new JsonObject(),
            ["description"] = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        };
        schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
        return schema;
    }

    public static JsonObject ListSchema(ResourceType t, string itemSchema, string version) => new()
    {
        ["description"] = $"{t.ListKind} is a list of {t.Kind}",
        ["type"] = "object",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string" },
            ["kind"] = new JsonObject { ["type"] = "string" },
            ["items"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = $"#/components/schemas/{itemSchema}" } },
            ["metadata"] = new JsonObject { ["$ref"] = $"#/components/schemas/{BuiltinSchemas.MetaPrefix}ListMeta", ["description"] = "Standard list metadata." },
        },
        ["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = t.Group, ["kind"] = t.ListKind, ["version"] = version }),
    };

}
