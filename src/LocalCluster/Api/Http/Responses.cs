using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.Api.Storage;
using Vers.LocalCluster.Api.Tables;

namespace Vers.LocalCluster.Api.Http;

/// <summary>
/// Writing response bodies in the media type the client negotiated (handlers/responsewriters/writers.go
/// <c>WriteObjectNegotiated</c>): JSON, or a Table when the Accept header asks for one.
/// </summary>
internal static class Responses
{
    public const string TableContentType = "application/json;as=Table;v={0};g=meta.k8s.io";

    /// <summary>The Table version the Accept header asks for, if any.</summary>
    public static string? TableVersion(HttpContext ctx) =>
        MediaTypes.Negotiate(ctx.Request.Headers.Accept.ToString(), "Table", "meta.k8s.io", "v1", "v1beta1");

    public static string TableMediaType(string version) => string.Format(CultureInfo.InvariantCulture, TableContentType, version);

    /// <summary>One object as served: its Table row when asked for (not for a view such as a Scale), else its JSON.</summary>
    public static async Task WriteObjectAsync(HttpContext ctx, TableConverter tables, RequestScope scope, StoredObject obj, int code, CancellationToken ct)
    {
        if (scope.View is null && TableVersion(ctx) is { } tableVersion)
        {
            var table = tables.Convert(scope.Type, scope.Version, [scope.Out(obj.ToJsonObject())], ctx.Request.Query["includeObject"].ToString(), new JsonObject { ["resourceVersion"] = obj.ResourceVersion });
            table["apiVersion"] = $"meta.k8s.io/{tableVersion}";
            await WriteJsonAsync(ctx, code, table, ct, TableMediaType(tableVersion));
            return;
        }

        await WriteStoredAsync(ctx, code, obj, scope, ct);
    }

    public static async Task WriteStoredAsync(HttpContext ctx, int code, StoredObject obj, RequestScope scope, CancellationToken ct)
    {
        if (!ProtobufResponses.Preferred(ctx) || !await ProtobufResponses.TryWriteAsync(ctx, code, scope.Out(obj.ToJsonObject()), ct))
        {
            await WriteBytesAsync(ctx, code, [scope.OutJson(obj)], ct);
        }
    }

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

    public static async Task WriteJsonAsync(HttpContext ctx, int code, JsonObject body, CancellationToken ct, string contentType = MediaTypes.Json)
    {
        if (contentType == MediaTypes.Json && await ProtobufResponses.TryWriteAsync(ctx, code, body, ct))
        {
            return;
        }

        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ct);
    }

    public static async Task WriteTextAsync(HttpContext ctx, int code, string text, CancellationToken ct)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync(text, ct);
    }
}
