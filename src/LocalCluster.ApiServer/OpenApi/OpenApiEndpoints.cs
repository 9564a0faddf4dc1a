using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Vers.LocalCluster.ApiServer.OpenApi;

/// <summary>
/// Serving the OpenAPI documents as kube-openapi does: /openapi/v2 negotiated between JSON and gnostic protobuf
/// (pkg/handler/handler.go <c>RegisterOpenAPIVersionedService</c>), every document with an ETag and a 304 for a
/// matching If-None-Match (net/http <c>ServeContent</c>).
/// </summary>
internal static class OpenApiEndpoints
{
    public const string ProtobufMediaType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    // handler.go's accepted list, in order: JSON, the deprecated protobuf subtype clients still send, the current one.
    private static readonly (string SubType, bool Protobuf)[] Accepted =
    [
        ("json", false),
        ("com.github.proto-openapi.spec.v2@v1.0+protobuf", true),
        ("com.github.proto-openapi.spec.v2.v1.0+protobuf", true),
    ];

    /// <summary>
    /// The first Accept clause (goautoneg order; none is <c>*/*</c>) that JSON or protobuf matches wins; none is a
    /// 406 with an empty body. Both encodings carry the ETag of the JSON (the response varies by Accept).
    /// </summary>
    public static async Task ServeV2Async(HttpContext ctx, OpenApiV2 v2, CancellationToken ct)
    {
        var accept = ctx.Request.Headers.Accept.ToString();
        ctx.Response.Headers.Vary = "Accept";
        foreach (var (type, subType) in Clauses(accept.Length == 0 ? "*/*" : accept))
        {
            foreach (var (acceptedSubType, protobuf) in Accepted)
            {
                if ((type == "application" || type == "*") && (subType == acceptedSubType || subType == "*"))
                {
                    var spec = v2.Current();
                    await ServeAsync(ctx, protobuf ? ProtobufMediaType : "application/json", protobuf ? spec.Protobuf : spec.Json, spec.ETag, spec.LastModified, ct);
                    return;
                }
            }
        }

        ctx.Response.StatusCode = StatusCodes.Status406NotAcceptable;
    }

    /// <summary>A v3 group version document (handler3: JSON, the ETag its hash).</summary>
    public static Task ServeV3Async(HttpContext ctx, JsonObject doc, CancellationToken ct) =>
        ServeAsync(ctx, "application/json", Encoding.UTF8.GetBytes(doc.ToJsonString()), OpenApiDocuments.Hash(doc), null, ct);

    private static async Task ServeAsync(HttpContext ctx, string contentType, byte[] body, string etag, DateTimeOffset? lastModified, CancellationToken ct)
    {
        var quoted = $"\"{etag}\"";
        ctx.Response.Headers.ETag = quoted;
        if (lastModified is { } modified)
        {
            ctx.Response.Headers.LastModified = modified.ToString("r", CultureInfo.InvariantCulture);
        }

        if (NotModified(ctx.Request, quoted, lastModified))
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ct);
    }

    /// <summary>net/http checkIfNoneMatch (weak comparison, <c>*</c> matches), else checkIfModifiedSince.</summary>
    private static bool NotModified(HttpRequest request, string etag, DateTimeOffset? lastModified)
    {
        var noneMatch = request.Headers.IfNoneMatch.ToString();
        if (noneMatch.Length > 0)
        {
            return noneMatch.Split(',').Select(t => t.Trim()).Any(t => t == "*" || Weak(t) == Weak(etag));
        }

        return lastModified is { } modified
               && DateTimeOffset.TryParse(request.Headers.IfModifiedSince.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
               && modified.ToUnixTimeSeconds() <= since.ToUnixTimeSeconds();
    }

    private static string Weak(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;

    /// <summary>goautoneg.ParseAccept's ranges, by quality then concrete before wildcard.</summary>
    private static IEnumerable<(string Type, string SubType)> Clauses(string header) =>
        header.Split(',')
            .Select(part => part.Trim().Split(';'))
            .Select(pieces => (Range: pieces[0].Split('/'), Q: pieces.Skip(1).Select(p => p.Split('=', 2)).Where(kv => kv.Length == 2 && kv[0].Trim() == "q")
                .Select(kv => double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var q) ? q : 0).DefaultIfEmpty(1).First()))
            .Where(c => c.Range.Length == 2 || (c.Range.Length == 1 && c.Range[0].Trim() == "*"))
            .Select(c => (Type: c.Range[0].Trim(), SubType: c.Range.Length == 2 ? c.Range[1].Trim() : "*", c.Q))
            .OrderByDescending(c => c.Q).ThenBy(c => c.Type == "*").ThenBy(c => c.SubType == "*")
            .Select(c => (c.Type, c.SubType));
}
