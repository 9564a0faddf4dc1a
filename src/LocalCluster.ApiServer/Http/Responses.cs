using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Tables;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>
/// Writing response bodies in the media type the client negotiated (handlers/responsewriters/writers.go
/// <c>WriteObjectNegotiated</c>, handlers/response.go <c>transformResponseObject</c>): JSON, YAML or protobuf, turned into a
/// Table or PartialObjectMetadata(List) when the Accept header asks for one.
/// </summary>
internal static class Responses
{
    public const string TableContentType = "application/json;as=Table;v={0};g=meta.k8s.io";

    /// <summary>
    /// The Table version the Accept header negotiated, if any. Never 406: watches negotiate among stream types, and
    /// the router has already refused an unacceptable header for every other request.
    /// </summary>
    public static string? TableVersion(HttpContext ctx) =>
        Negotiation.Negotiate(ctx.Request.Headers.Accept.ToString(), Negotiation.Endpoint.Resource)?.TableVersion;

    public static string TableMediaType(string version) => string.Format(CultureInfo.InvariantCulture, TableContentType, version);

    /// <summary>One object as served: its Table row when asked for, else the object (or its metadata).</summary>
    public static async Task WriteObjectAsync(HttpContext ctx, TableConverter tables, RequestScope scope, StoredObject obj, int code, CancellationToken ct)
    {
        if (scope.View is null && TableVersion(ctx) is { } tableVersion)
        {
            var table = tables.Convert(scope.Type, scope.Version, [scope.Out(obj.ToJsonObject())], ctx.Request.Query["includeObject"].ToString(), new JsonObject { ["resourceVersion"] = obj.ResourceVersion });
            await WriteTableAsync(ctx, code, table, tableVersion, ct);
            return;
        }

        await WriteStoredAsync(ctx, code, obj, scope, ct);
    }

    public static async Task WriteTableAsync(HttpContext ctx, int code, JsonObject table, string tableVersion, CancellationToken ct)
    {
        table["apiVersion"] = $"meta.k8s.io/{tableVersion}";
        if (Negotiation.ForResource(ctx).Format == OutputFormat.Yaml)
        {
            await WriteYamlAsync(ctx, code, table, ct);
            return;
        }

        await WriteJsonAsync(ctx, code, table, ct, TableMediaType(tableVersion));
    }

    /// <summary>A stored object in the negotiated encoding, or as PartialObjectMetadata.</summary>
    public static async Task WriteStoredAsync(HttpContext ctx, int code, StoredObject obj, RequestScope scope, CancellationToken ct)
    {
        var output = Negotiation.ForResource(ctx);
        if (output.ConvertKind == "PartialObjectMetadataList")
        {
            throw NotAList(scope, list: false);
        }

        if (output.ConvertKind == "PartialObjectMetadata")
        {
            await WriteResourceAsync(ctx, code, PartialObjectMetadata(output, scope, obj.ToJsonObject()), ct);
            return;
        }

        if (output.Format == OutputFormat.Yaml)
        {
            await WriteYamlAsync(ctx, code, scope.Out(obj.ToJsonObject()), ct);
            return;
        }

        if (output.Format == OutputFormat.Protobuf && await ProtobufResponses.TryWriteAsync(ctx, code, scope.Out(obj.ToJsonObject()), ct))
        {
            return;
        }

        await WriteBytesAsync(ctx, code, [scope.OutJson(obj)], ct);
    }

    /// <summary>A list whose JSON is spliced from the stored objects' bytes; converted or re-encoded when negotiated so.</summary>
    public static async Task WriteListAsync(HttpContext ctx, int code, RequestScope scope, List<byte[]> json, IReadOnlyList<StoredObject> items, JsonObject metadata, CancellationToken ct)
    {
        var output = Negotiation.ForResource(ctx);
        if (output.ConvertKind == "PartialObjectMetadata")
        {
            throw NotAList(scope, list: true);
        }

        if (output.ConvertKind == "PartialObjectMetadataList")
        {
            await WriteResourceAsync(ctx, code, new JsonObject
            {
                ["kind"] = "PartialObjectMetadataList",
                ["apiVersion"] = $"meta.k8s.io/{output.ConvertVersion}",
                ["metadata"] = metadata.DeepClone(),
                ["items"] = new JsonArray([.. items.Select(i => (JsonNode)PartialObjectMetadata(output, scope, i.ToJsonObject()))]),
            }, ct);
            return;
        }

        if (output.Format == OutputFormat.Yaml)
        {
            await WriteYamlAsync(ctx, code, JsonNode.Parse(Concat(json)), ct);
            return;
        }

        if (output.Format == OutputFormat.Protobuf && await ProtobufResponses.TryWriteAsync(ctx, code, new JsonObject
            {
                ["apiVersion"] = scope.ApiVersion,
                ["kind"] = scope.Type.ListKind,
                ["metadata"] = metadata.DeepClone(),
                ["items"] = new JsonArray([.. items.Select(i => (JsonNode)scope.Out(i.ToJsonObject()))]),
            }, ct))
        {
            return;
        }

        await WriteBytesAsync(ctx, code, json, ct);
    }

    /// <summary>
    /// meta.AsPartialObjectMetadata: the object's metadata under meta.k8s.io's kind (response.go
    /// <c>asPartialObjectMetadata</c>, <c>asPartialObjectMetadataList</c>); the other kind is 406 for the shape served.
    /// </summary>
    private static JsonObject PartialObjectMetadata(OutputMediaType output, RequestScope scope, JsonObject obj) =>
        new()
        {
            ["kind"] = "PartialObjectMetadata",
            ["apiVersion"] = $"meta.k8s.io/{output.ConvertVersion}",
            ["metadata"] = scope.Out(obj)["metadata"]?.DeepClone() ?? new JsonObject(),
        };

    /// <summary>The 406 for a conversion to the wrong shape; the Go type is the one the handler holds (%T).</summary>
    private static ApiException NotAList(RequestScope scope, bool list)
    {
        var type = scope.Type.IsCustom
            ? list ? "*unstructured.UnstructuredList" : "*unstructured.Unstructured"
            : $"*{InternalPackage(scope.Type)}.{(list ? scope.Type.ListKind : scope.Type.Kind)}";
        return list
            ? Negotiation.NotAcceptable($"you requested PartialObjectMetadata, but the requested object is a list ({type})")
            : Negotiation.NotAcceptable($"you requested PartialObjectMetadataList, but the requested object is not a list ({type})");
    }

    private static string InternalPackage(ResourceType t) => t.Group switch
    {
        "" => "core",
        "apiextensions.k8s.io" => "apiextensions",
        "rbac.authorization.k8s.io" => "rbac",
        "events.k8s.io" => "core",
        var g => g.Split('.')[0],
    };

    /// <summary>A response built as a tree (a Status, a review, a deleted collection) in the negotiated encoding.</summary>
    public static async Task WriteResourceAsync(HttpContext ctx, int code, JsonObject body, CancellationToken ct)
    {
        switch (Negotiation.ForResource(ctx).Format)
        {
            case OutputFormat.Yaml:
                await WriteYamlAsync(ctx, code, body, ct);
                break;
            case OutputFormat.Protobuf when await ProtobufResponses.TryWriteAsync(ctx, code, body, ct):
                break;
            default:
                await WriteJsonAsync(ctx, code, body, ct);
                break;
        }
    }

    /// <summary>
    /// An error as <c>ErrorNegotiated</c> writes it: negotiated without conversions (JSON or YAML); when nothing in the
    /// Accept header matches, the Status as indented JSON (<c>WriteRawJSON</c>), the error's code kept.
    /// </summary>
    public static Task WriteErrorAsync(HttpContext ctx, int code, JsonObject status, CancellationToken ct)
    {
        var output = Negotiation.Negotiate(ctx.Request.Headers.Accept.ToString(), Negotiation.Endpoint.Plain, Negotiation.ProtobufAllowed(ctx));
        return output switch
        {
            { Format: OutputFormat.Yaml } => WriteYamlAsync(ctx, code, status, ct),
            { Format: OutputFormat.Protobuf } => WriteProtobufOrJsonAsync(ctx, code, status, ct),
            null => WriteRawAsync(ctx, code, Encoding.UTF8.GetBytes(status.ToJsonString(Indented)), MediaTypes.Json, ct),
            _ => WriteJsonAsync(ctx, code, status, ct),
        };
    }

    private static async Task WriteProtobufOrJsonAsync(HttpContext ctx, int code, JsonObject body, CancellationToken ct)
    {
        if (!await ProtobufResponses.TryWriteAsync(ctx, code, body, ct))
        {
            await WriteJsonAsync(ctx, code, body, ct);
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };

    public static Task WriteYamlAsync(HttpContext ctx, int code, JsonNode? body, CancellationToken ct) =>
        WriteRawAsync(ctx, code, YamlWriter.WriteUtf8(body), MediaTypes.Yaml, ct);

    public static async Task WriteBytesAsync(HttpContext ctx, int code, List<byte[]> parts, CancellationToken ct)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = MediaTypes.Json;
        ctx.Response.ContentLength = parts.Sum(p => (long)p.Length);
        foreach (var part in parts)
        {
            await ctx.Response.Body.WriteAsync(part, ct);
        }
    }

    public static Task WriteJsonAsync(HttpContext ctx, int code, JsonObject body, CancellationToken ct, string contentType = MediaTypes.Json) =>
        WriteRawAsync(ctx, code, Encoding.UTF8.GetBytes(body.ToJsonString()), contentType, ct);

    public static async Task WriteRawAsync(HttpContext ctx, int code, byte[] bytes, string contentType, CancellationToken ct)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ct);
    }

    public static async Task WriteTextAsync(HttpContext ctx, int code, string text, CancellationToken ct)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync(text, ct);
    }

    private static byte[] Concat(List<byte[]> parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, at);
            at += p.Length;
        }

        return all;
    }
}
