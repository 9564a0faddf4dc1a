using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.OpenApi;

/// <summary>One operation parameter; <see cref="Type"/> is the JSON type of a query parameter.</summary>
internal sealed record ApiParameter(string Name, string In, string Description, string Type = "string", bool Required = false);

/// <summary>
/// One operation of a served resource, before it is written as OpenAPI v2 or v3: the HTTP method, the
/// <c>x-kubernetes-action</c>, its parameters, the schema the body is read as (null: no body) and the one it returns.
/// </summary>
internal sealed record ApiOperation(string Method, string Id, string Action, string Description, JsonObject Gvk,
    IReadOnlyList<ApiParameter> Parameters, string? Body, string Response, IReadOnlyList<string> Consumes);

internal sealed record ApiPath(string Path, IReadOnlyList<ApiOperation> Operations);

/// <summary>
/// The routes kube-apiserver's installer registers for a resource (staging/src/k8s.io/apiserver/pkg/endpoints/installer.go
/// <c>registerResourceHandlers</c>; for CRDs apiextensions-apiserver pkg/controller/openapi/builder/builder.go
/// <c>generateBuilder</c>), with the query parameters of their options types. Both OpenAPI versions are written from
/// these, so they describe the same operations.
/// </summary>
internal static class OpenApiRoutes
{
    public const string Pretty = "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).";

    private static readonly ApiParameter[] WriteParams =
    [
        new("dryRun", "query", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed"),
        new("fieldManager", "query", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."),
        new("fieldValidation", "query", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered."),
    ];

    private static readonly ApiParameter[] ListParams =
    [
        new("allowWatchBookmarks", "query", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion.", "boolean"),
        new("continue", "query", "The continue option should be set when retrieving more results from the server."),
        new("fieldSelector", "query", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        new("labelSelector", "query", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        new("limit", "query", "limit is a maximum number of responses to return for a list call.", "integer"),
        new("resourceVersion", "query", "resourceVersion sets a constraint on what resource versions a request may be served from."),
        new("resourceVersionMatch", "query", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
        new("sendInitialEvents", "query", "`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
        new("timeoutSeconds", "query", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.", "integer"),
        new("watch", "query", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.", "boolean"),
    ];

    private static readonly ApiParameter[] DeleteParams =
    [
        new("dryRun", "query", WriteParams[0].Description),
        new("gracePeriodSeconds", "query", "The duration in seconds before the object should be deleted.", "integer"),
        new("propagationPolicy", "query", "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background' and 'Foreground'."),
    ];

    private static readonly ApiParameter Force = new("force", "query", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.", "boolean");

    /// <summary>
    /// The patch types a patch operation is published to consume. The server takes strategic merge patches of
    /// built-ins, but does not list them: kubectl's client-side apply builds a strategic merge patch from the v3
    /// schema of a kind that lists it (apply/patcher.go <c>gvkSupportsPatchOpenAPIV3</c>), and the schemas here do
    /// not carry every built-in field, so kubectl keeps to the patch metadata compiled into it.
    /// </summary>
    public static readonly string[] PatchTypes = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];

    public static IEnumerable<ApiPath> For(ResourceType t, string version, string schemaName)
    {
        var gvk = new JsonObject { ["group"] = t.Group, ["kind"] = t.Kind, ["version"] = version };
        var gv = GroupVersionId(t.Group, version);
        var root = "/" + OpenApiDocuments.PathKey(t.Group, version);
        var ns = t.Namespaced ? "Namespaced" : "";
        var collection = root + (t.Namespaced ? "/namespaces/{namespace}/" : "/") + t.Plural;
        var scope = t.Namespaced ? new[] { new ApiParameter("namespace", "path", "object name and auth scope, such as for teams and projects", Required: true) } : [];
        var name = new ApiParameter("name", "path", $"name of the {t.Kind}", Required: true);
        var pretty = new ApiParameter("pretty", "query", Pretty);
        string[] any = ["*/*"];
        var patchTypes = PatchTypes;
        const string status = BuiltinSchemas.MetaPrefix + "Status";

        ApiOperation Op(string method, string verb, string action, string description, ApiParameter[] parameters, string? body, string response, string sub = "", IReadOnlyList<string>? consumes = null) =>
            new(method, $"{verb}{gv}{ns}{t.Kind}{sub}", action, description, gvk, parameters, body, response, consumes ?? any);

        if (t.IsReview)
        {
            yield return new ApiPath(collection, [Op("post", "create", "post", $"create a {t.Kind}", [.. scope, .. WriteParams, pretty], schemaName, schemaName)]);
            yield break;
        }

        if (t.Namespaced)
        {
            yield return new ApiPath(root + "/" + t.Plural,
            [
                new ApiOperation("get", $"list{gv}{t.Kind}ForAllNamespaces", "list", $"list or watch objects of kind {t.Kind}", gvk, [.. ListParams, pretty], null, schemaName + "List", any),
            ]);
        }

        yield return new ApiPath(collection,
        [
            Op("get", "list", "list", $"list or watch objects of kind {t.Kind}", [.. scope, .. ListParams, pretty], null, schemaName + "List"),
            Op("post", "create", "post", $"create a {t.Kind}", [.. scope, .. WriteParams, pretty], schemaName, schemaName),
            Op("delete", "deleteCollection", "deletecollection", $"delete collection of {t.Kind}", [.. scope, .. DeleteParams, .. ListParams.Where(p => p.Name != "watch" && p.Name != "allowWatchBookmarks"), pretty], BuiltinSchemas.MetaPrefix + "DeleteOptions", status),
        ]);
        yield return new ApiPath(collection + "/{name}",
        [
            Op("get", "read", "get", $"read the specified {t.Kind}", [name, .. scope, pretty], null, schemaName),
            Op("put", "replace", "put", $"replace the specified {t.Kind}", [name, .. scope, .. WriteParams, pretty], schemaName, schemaName),
            Op("patch", "patch", "patch", $"partially update the specified {t.Kind}", [name, .. scope, .. WriteParams, Force, pretty], BuiltinSchemas.MetaPrefix + "Patch", schemaName, consumes: patchTypes),
            Op("delete", "delete", "delete", $"delete a {t.Kind}", [name, .. scope, .. DeleteParams, pretty], BuiltinSchemas.MetaPrefix + "DeleteOptions", status),
        ]);
        if (t.Version(version)?.HasStatus == true)
        {
            yield return new ApiPath(collection + "/{name}/status",
            [
                Op("get", "read", "get", $"read status of the specified {t.Kind}", [name, .. scope, pretty], null, schemaName, "Status"),
                Op("put", "replace", "put", $"replace status of the specified {t.Kind}", [name, .. scope, .. WriteParams, pretty], schemaName, schemaName, "Status"),
                Op("patch", "patch", "patch", $"partially update status of the specified {t.Kind}", [name, .. scope, .. WriteParams, Force, pretty], BuiltinSchemas.MetaPrefix + "Patch", schemaName, "Status", patchTypes),
            ]);
        }
    }

    /// <summary>The group version as operation ids spell it: CoreV1, AppsV1, RbacAuthorizationV1, ExampleComV1.</summary>
    public static string GroupVersionId(string group, string version)
    {
        var g = group.Length == 0 ? "core" : group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
        return string.Concat(g.Split('.', '-').Where(p => p.Length > 0).Select(Capitalize)) + Capitalize(version);
    }

    private static string Capitalize(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
