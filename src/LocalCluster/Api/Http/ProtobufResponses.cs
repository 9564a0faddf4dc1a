using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.Api.Protobuf;

namespace Vers.LocalCluster.Api.Http;

/// <summary>
/// Protobuf response bodies for clients that ask for them first (client-go's typed clients, so kubectl and Helm,
/// send <c>Accept: application/vnd.kubernetes.protobuf, application/json</c>); negotiate.go picks the first media
/// type of the Accept header the server can produce, so they get protobuf for built-in kinds and JSON for the rest
/// (custom resources, whose handler has no protobuf serializer). An object the codec cannot encode is sent as JSON,
/// which those clients accept too.
/// </summary>
internal static class ProtobufResponses
{
    /// <summary>Whether the Accept header's first producible media type is protobuf (a Table or other <c>as=</c> request is not).</summary>
    public static bool Preferred(HttpContext ctx)
    {
        foreach (var range in MediaTypes.ParseAccept(ctx.Request.Headers.Accept.ToString()))
        {
            if (range.Type == KubeProtobuf.MediaType)
            {
                return range["as"] is null;
            }

            if (range.Type is MediaTypes.Json or MediaTypes.Yaml or "application/*" or "*/*")
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Writes <paramref name="obj"/> as protobuf when the client prefers it and the codec knows its kind; false when JSON must be written instead.</summary>
    public static async Task<bool> TryWriteAsync(HttpContext ctx, int code, JsonObject obj, CancellationToken ct)
    {
        if (!Preferred(ctx) || obj["apiVersion"]?.ToString() is not { } apiVersion || obj["kind"]?.ToString() is not { } kind
            || !KubeProtobuf.CanEncode(apiVersion, kind))
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = KubeProtobuf.Encode(obj);
        }
        catch (KubeProtobufException)
        {
            return false;
        }

        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = KubeProtobuf.MediaType;
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ct);
        return true;
    }
}
