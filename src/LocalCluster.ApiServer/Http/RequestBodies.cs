using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Vers.LocalCluster.ApiServer.Patching;
using Vers.LocalCluster.ApiServer.Protobuf;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>Reading and decoding request bodies, with the checks the real decoder makes before any handler logic.</summary>
internal static class RequestBodies
{
    private static readonly string[] ObjectMediaTypes = [MediaTypes.Json, MediaTypes.Yaml];
    private static readonly string[] ProtobufMediaTypes = [MediaTypes.Json, MediaTypes.Yaml, KubeProtobuf.MediaType];

    /// <summary>The apiserver's request body limit (RequestScope.MaxRequestBodyBytes: 3 MiB by default).</summary>
    public const int MaxBodyBytes = 3 * 1024 * 1024;

    /// <summary>How much of a body over the limit is read and dropped before the 413 (beyond it the connection is cut).</summary>
    private const long DrainBytes = 32L << 20;

    /// <summary>handlers/rest.go <c>limitedReadBody</c>: <c>errors.NewRequestEntityTooLargeError("limit is 3145728")</c>.</summary>
    public static ApiException TooLarge() =>
        ApiException.Bare(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxBodyBytes}");

    /// <summary>
    /// The request body as UTF-8, parsed from bytes (a string in between doubled the work and the garbage of every
    /// write). As the text reader did before: a byte order mark is dropped and invalid UTF-8 becomes U+FFFD. Like
    /// <c>limitedReadBody</c>, at most <see cref="MaxBodyBytes"/> are read: a longer body is 413.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContext ctx, CancellationToken ct)
    {
        // Kestrel's own limit (3 MiB) would reset a connection whose client is still sending; raised here so a body
        // over the apiserver's limit can be read to its end (up to DrainBytes) and the client reads the 413.
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = DrainBytes;
        }

        var length = ctx.Request.ContentLength;
        using var buffer = new MemoryStream(length is > 0 and <= MaxBodyBytes ? (int)length.Value : 256);
        // A pooled chunk: a fresh 80 KiB array per request doubled what a write allocated.
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        int read;
        var tooLarge = length > MaxBodyBytes;
        try
        {
            while ((read = await ctx.Request.Body.ReadAsync(chunk, ct)) > 0)
            {
                tooLarge |= buffer.Length + read > MaxBodyBytes;
                if (!tooLarge)
                {
                    buffer.Write(chunk, 0, read);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            tooLarge = true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (tooLarge)
        {
            throw TooLarge();
        }

        ReadOnlyMemory<byte> bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (MediaTypes.Bare(ctx.Request.ContentType) == KubeProtobuf.MediaType)
        {
            return bytes; // binary: no BOM or UTF-8 repair
        }

        if (bytes.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[Encoding.UTF8.Preamble.Length..];
        }

        return System.Text.Unicode.Utf8.IsValid(bytes.Span) ? bytes : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes.Span));
    }

    public static string Text(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);

    /// <summary>The object in the body of a create, update or review, checked against the request's scope.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        CheckObjectMediaType(ctx, scope);
        return CheckIdentity(ParseObject(ctx, scope, await ReadAsync(ctx, ct)), scope);
    }

    /// <summary>
    /// The body's media type when this resource can be decoded from it: JSON and YAML always, protobuf for the
    /// built-in kinds (custom resources answer 415 to protobuf, as the CRD handler's serializer has none).
    /// </summary>
    private static string CheckObjectMediaType(HttpContext ctx, RequestScope? scope = null)
    {
        var contentType = MediaTypes.Bare(ctx.Request.ContentType);
        return contentType is MediaTypes.Json or MediaTypes.Yaml or "" or "*/*"
               || (contentType == KubeProtobuf.MediaType && (scope is null || KubeProtobuf.CanEncode(scope.ApiVersion, scope.Type.Kind)))
            ? contentType
            : throw ApiException.UnsupportedMediaType(scope is null || KubeProtobuf.CanEncode(scope.ApiVersion, scope.Type.Kind) ? ProtobufMediaTypes : ObjectMediaTypes);
    }

    public static JsonObject ParseObject(HttpContext ctx, RequestScope scope, ReadOnlyMemory<byte> body)
    {
        var contentType = CheckObjectMediaType(ctx, scope);
        if (contentType == KubeProtobuf.MediaType)
        {
            return ProtobufBody(body, scope.Type.Kind);
        }

        var node = contentType == MediaTypes.Yaml ? YamlJson.Parse(Text(body)) : JsonNode.Parse(body.Span);
        return node as JsonObject ?? throw ApiException.BadRequest($"Object '{scope.Kind}' is missing in 'null'");
    }

    /// <summary>The identity checks of a decoded body: types of the identifying fields, then group/version/kind, namespace and name.</summary>
    public static JsonObject CheckIdentity(JsonObject body, RequestScope scope)
    {
        // Type errors the real decoder reports before anything else (an apiVersion that is a list, metadata a string…).
        foreach (var (field, ok) in new (string, Func<JsonNode, bool>)[]
                 {
                     ("apiVersion", n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String),
                     ("kind", n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String),
                     ("metadata", n => n is JsonObject),
                 })
        {
            if (body[field] is { } node && !ok(node))
            {
                throw ApiException.BadRequest($"error decoding request body: field {field} has the wrong type ({node.GetValueKind()})");
            }
        }

        foreach (var field in (string[])["name", "namespace", "generateName", "resourceVersion", "uid"])
        {
            if (body["metadata"]?[field] is { } node && !(node is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            {
                throw ApiException.BadRequest($"error decoding request body: metadata.{field} must be a string");
            }
        }

        var expected = scope.BodyApiVersion;
        if (body["apiVersion"] is JsonValue av && av.ToString() is { Length: > 0 } given && given != expected)
        {
            throw ApiException.BadRequest($"the API version in the data ({given}) does not match the expected API version ({expected})");
        }

        if (body["kind"] is JsonValue kv && kv.ToString() is { Length: > 0 } kind && kind != scope.Kind)
        {
            throw ApiException.BadRequest($"{kind} in version \"{scope.BodyVersion}\" cannot be handled as a {scope.Kind}: no kind \"{kind}\" is registered for version \"{expected}\"");
        }

        if (scope.Type.Namespaced)
        {
            var bodyNs = Meta.Str(body, "namespace");
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != scope.Namespace)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
        }

        if (scope.Name is not null && Meta.Str(body, "name") is { Length: > 0 } bodyName && bodyName != scope.Name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({scope.Name})");
        }

        return body;
    }

    /// <summary>A protobuf body as JSON; what it cannot decode is a 400 worded as the apiserver's transformDecodeError.</summary>
    private static JsonObject ProtobufBody(ReadOnlyMemory<byte> body, string kind)
    {
        try
        {
            return KubeProtobuf.Decode(body.Span);
        }
        catch (KubeProtobufException e)
        {
            throw ApiException.BadRequest(e.ForRequest(kind, body.Span));
        }
    }

    /// <summary>DeleteOptions from the body and the query (propagationPolicy, orphanDependents, preconditions, dryRun).</summary>
    public static async Task<Storage.DeleteOptions> ReadDeleteOptionsAsync(HttpContext ctx, CancellationToken ct)
    {
        var q = ctx.Request.Query;
        var raw = await ReadAsync(ctx, ct);
        var text = Text(raw);
        var body = MediaTypes.Bare(ctx.Request.ContentType) == KubeProtobuf.MediaType && !raw.IsEmpty ? ProtobufBody(raw, "DeleteOptions")
            : string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;
        var policy = body?["propagationPolicy"]?.GetValue<string>() ?? (q["propagationPolicy"].ToString() is { Length: > 0 } p ? p : null);
        if (body?["orphanDependents"] is JsonValue od && od.GetValue<bool>())
        {
            policy = "Orphan";
        }

        var bodyDryRun = body?["dryRun"] is JsonArray a && a.Any(x => x?.GetValue<string>() == "All");
        return new Storage.DeleteOptions(
            body?["preconditions"]?["uid"]?.GetValue<string>(),
            body?["preconditions"]?["resourceVersion"]?.GetValue<string>(),
            policy,
            RequestScope.DryRun(ctx) || bodyDryRun);
    }
}
