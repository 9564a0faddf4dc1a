using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>
/// Protobuf response bodies for clients that ask for them first (client-go's typed clients, so kubectl and Helm,
/// send <c>Accept: application/vnd.kubernetes.protobuf, application/json</c>); negotiate.go picks the first media
/// type of the Accept header the server can produce, so they get protobuf for built-in kinds and JSON for the rest
/// (custom resources, whose handler has no protobuf serializer). An object the codec cannot encode is sent as JSON,
/// which those clients accept too.
/// </summary>
internal static class ProtobufResponses
{
    /// <summary>Writes <paramref name="obj"/> as protobuf when the codec knows its kind; false when JSON must be written instead.</summary>
    public static async Task<bool> TryWriteAsync(HttpContext ctx, int code, JsonObject obj, CancellationToken ct)
    {
        if (obj["apiVersion"]?.ToString() is not { } apiVersion || obj["kind"]?.ToString() is not { } kind
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
