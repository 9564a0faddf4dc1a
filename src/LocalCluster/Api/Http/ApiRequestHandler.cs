using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.Api.Admission;
using Vers.LocalCluster.Api.Discovery;
using Vers.LocalCluster.Api.OpenApi;
using Vers.LocalCluster.Api.Patching;
using Vers.LocalCluster.Api.Protobuf;
using Vers.LocalCluster.Api.Resources;
using Vers.LocalCluster.Api.Schema;
using Vers.LocalCluster.Api.Selectors;
using Vers.LocalCluster.Api.Storage;
using Vers.LocalCluster.Api.Tables;
using Vers.LocalCluster.Api.Watch;

namespace Vers.LocalCluster.Api.Http;

/// <summary>Routes Kubernetes REST paths to discovery, OpenAPI and the resource store.</summary>
internal sealed partial class ApiRequestHandler(
    ResourceStore store,
    DiscoveryDocuments discovery,
    OpenApiDocuments openApi,
    TableConverter tables,
    TimeProvider time,
    Func<bool>? readiness,
    TimeSpan bookmarkInterval,
    FaultInjector faults,
    RequestCounters requests,
    Func<AccessPolicy> access,
    AdmissionChain admission,
    ILogger logger)
{
    private readonly CancellationTokenSource _shutdown = new();

    /// <summary>Ends open watch streams so the server can stop without waiting for clients.</summary>
    public void Shutdown() => _shutdown.Cancel();

    public const string GitVersion = "v1.32.4";
    private const string TableContentType = "application/json;as=Table;v={0};g=meta.k8s.io";

    private sealed record Target(ResourceType Type, string Version, string? Namespace, string? Name, string? Subresource)
    {
        /// <summary>The apiVersion this request serves objects in.</summary>
        public string ApiVersion { get; } = ResourceType.ApiVersionOf(Type.Group, Version);
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        try
        {
            ctx.Features.Set(Authenticate(ctx));
            await RouteAsync(ctx, ct);
        }
        catch (ApiException e)
        {
            if (!ctx.Response.HasStarted)
            {
                if (e.RetryAfterSeconds is { } retry)
                {
                    ctx.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
                }

                await WriteJsonAsync(ctx, e.Code, e.ToStatus(), ct);
            }
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            if (!ctx.Response.HasStarted)
            {
                await WriteJsonAsync(ctx, 400, ApiException.BadRequest($"error decoding YAML: {e.Message}").ToStatus(), ct);
            }
        }
        catch (JsonException e)
        {
            if (!ctx.Response.HasStarted)
            {
                await WriteJsonAsync(ctx, 400, ApiException.BadRequest($"error decoding request body: {e.Message}").ToStatus(), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested || _shutdown.IsCancellationRequested)
        {
            // Client went away (watch closed); nothing to answer.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUnhandled(e, ctx.Request.Method, ctx.Request.Path);
            if (!ctx.Response.HasStarted)
            {
                await WriteJsonAsync(ctx, 500, StatusBody.Failure(500, "InternalError", $"Internal error occurred: {e.Message}", null), ct);
            }
        }
    }

    /// <summary>The user a request authenticated as (set for every request before it is routed).</summary>
    public static AdmissionUser UserOf(HttpContext ctx) => ctx.Features.Get<AdmissionUser>() ?? ClusterUsers.Admin;

    /// <summary>
    /// kube-apiserver's authentication filter (staging/src/k8s.io/apiserver/pkg/endpoints/filters/authentication.go,
    /// <c>WithAuthentication</c>) with a bearer token authenticator in front of the embedded cluster's admin
    /// credentials: a token <see cref="AccessPolicy"/> knows is its user; one it does not know fails every path with
    /// 401 (the token authenticator's error fails the union, see
    /// staging/src/k8s.io/apiserver/pkg/authentication/request/bearertoken/bearertoken.go); a request without a bearer
    /// token is the admin, as a k3s admin client certificate would authenticate it.
    /// </summary>
    private AdmissionUser Authenticate(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return ClusterUsers.Admin;
        }

        // bearertoken.AuthenticateRequest: "Bearer <token>", scheme case-insensitive; anything else is no bearer token.
        var parts = header.ToString().Trim().Split(' ', 3);
        if (parts.Length < 2 || !parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase) || parts[1].Length == 0)
        {
            return ClusterUsers.Admin;
        }

        return access().Authenticate(parts[1]) is { } user ? ClusterUsers.Of(user) : throw ApiException.Unauthorized();
    }

    /// <summary>Admission for a write through this endpoint; null (nothing to do) while no plugin is registered.</summary>
    private AdmissionContext? Admit(HttpContext ctx, Target t) => admission.IsEmpty ? null : AdmissionContext.For(admission, UserOf(ctx), t.Subresource);

    private async Task RouteAsync(HttpContext ctx, CancellationToken ct)
    {
        var path = ctx.Request.Path.Value ?? "/";
        if (path.Length > 1)
        {
            path = path.TrimEnd('/');
        }

        var method = ctx.Request.Method;
        switch (path)
        {
            case "/version":
                await WriteJsonAsync(ctx, 200, new JsonObject
                {
                    ["major"] = "1",
                    ["minor"] = "32",
                    ["gitVersion"] = GitVersion,
                    ["gitCommit"] = "0000000000000000000000000000000000000000",
                    ["gitTreeState"] = "clean",
                    ["buildDate"] = "2025-04-22T00:00:00Z",
                    ["goVersion"] = "go1.23.6",
                    ["compiler"] = "gc",
                    ["platform"] = "linux/amd64",
                }, ct);
                return;
            case "/healthz" or "/livez":
                await WriteTextAsync(ctx, 200, "ok", ct);
                return;
            case "/readyz":
                var ready = readiness?.Invoke() ?? true;
                await WriteTextAsync(ctx, ready ? 200 : 500, ready ? "ok" : "[-]readiness check failed\nreadyz check failed", ct);
                return;
            case "/api":
                await DiscoveryAsync(ctx, core: true, ct);
                return;
            case "/apis":
                await DiscoveryAsync(ctx, core: false, ct);
                return;
            case "/openapi/v3":
                await WriteJsonAsync(ctx, 200, openApi.Index(), ct);
                return;
        }

        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            var doc = openApi.Document(path["/openapi/v3/".Length..]) ?? throw ApiException.UnknownPath();
            ctx.Response.Headers.ETag = $"\"{OpenApiDocuments.Hash(doc)}\"";
            await WriteJsonAsync(ctx, 200, doc, ct);
            return;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 2 && segments[0] == "api" && segments[1] == "v1")
        {
            if (segments.Length == 2)
            {
                RequireGet(method);
                await WriteJsonAsync(ctx, 200, discovery.ResourceList("", "v1"), ct);
                return;
            }

            await ResourceAsync(ctx, "", "v1", segments[2..], ct);
            return;
        }

        if (segments.Length >= 2 && segments[0] == "apis")
        {
            var group = segments[1];
            if (segments.Length == 2)
            {
                RequireGet(method);
                if (!discovery.HasGroup(group))
                {
                    throw ApiException.UnknownPath();
                }

                await WriteJsonAsync(ctx, 200, discovery.ApiGroup(group), ct);
                return;
            }

            var version = segments[2];
            if (segments.Length == 3)
            {
                RequireGet(method);
                if (!discovery.HasGroupVersion(group, version))
                {
                    throw ApiException.UnknownPath();
                }

                await WriteJsonAsync(ctx, 200, discovery.ResourceList(group, version), ct);
                return;
            }

            await ResourceAsync(ctx, group, version, segments[3..], ct);
            return;
        }

        throw ApiException.UnknownPath();
    }

    private static void RequireGet(string method)
    {
        if (method != "GET")
        {
            throw ApiException.MethodNotAllowed();
        }
    }

    private async Task DiscoveryAsync(HttpContext ctx, bool core, CancellationToken ct)
    {
        var accept = ctx.Request.Headers.Accept.ToString();
        var v = MediaTypes.Negotiate(accept, "APIGroupDiscoveryList", "apidiscovery.k8s.io", "v2", "v2beta1");
        if (v is not null)
        {
            await WriteJsonAsync(ctx, 200, discovery.Aggregated(core, v), ct, $"application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList");
            return;
        }

        await WriteJsonAsync(ctx, 200, core ? discovery.ApiVersions(ctx.Request.Host.Value ?? "127.0.0.1") : discovery.ApiGroupList(), ct);
    }

    private Target Resolve(string group, string version, string[] segs)
    {
        string? ns = null;
        if (segs[0] == "namespaces" && segs.Length >= 3 && !(group.Length == 0 && segs.Length == 3 && segs[2] is "status" or "finalize"))
        {
            ns = segs[1];
            segs = segs[2..];
        }

        if (segs.Length > 3)
        {
            throw ApiException.UnknownPath();
        }

        var type = store.Registry.Find(group, version, segs[0]) ?? throw ApiException.UnknownPath();
        var name = segs.Length > 1 ? segs[1] : null;
        var sub = segs.Length > 2 ? segs[2] : null;
        if (!type.Namespaced && ns is not null)
        {
            throw ApiException.UnknownPath();
        }

        if (type.Namespaced && ns is null && name is not null)
        {
            throw ApiException.UnknownPath();
        }

        if (sub is not null && !(sub == "status" && type.Version(version)!.HasStatus) && !(sub == "finalize" && type.Builtin == BuiltinKind.Namespace))
        {
            throw ApiException.UnknownPath();
        }

        return new Target(type, version, ns, name, sub);
    }

    private async Task ResourceAsync(HttpContext ctx, string group, string version, string[] segs, CancellationToken ct)
    {
        var t = Resolve(group, version, segs);
        var q = ctx.Request.Query;
        var method = ctx.Request.Method;
        await CountAndInjectFaultsAsync(ctx, t, ct);
        if (t.Type.IsReview)
        {
            if (method != "POST" || t.Name is not null)
            {
                throw ApiException.MethodNotAllowed();
            }

            var review = CheckBodyIdentity(await ReadObjectBodyAsync(ctx, t, ct), t);
            await WriteJsonAsync(ctx, 201, Reviews.Answer(t.Type, t.Version, t.Namespace, review, UserOf(ctx), access()), ct);
            return;
        }

        var dryRun = q["dryRun"].ToString() == "All";
        if (t.Name is null)
        {
            switch (method)
            {
                case "GET" when IsTrue(q["watch"]):
                    await WatchAsync(ctx, t, ct);
                    return;
                case "GET":
                    await ListAsync(ctx, t, ct);
                    return;
                case "POST" when t.Namespace is not null || !t.Type.Namespaced:
                {
                    var body = CheckBodyIdentity(await ReadObjectBodyAsync(ctx, t, ct), t);
                    if (t.Type.Builtin == BuiltinKind.EventsV1Event)
                    {
                        EventConversion.ValidateCreate(body);
                    }

                    var created = await store.CreateAsync(t.Type, t.Namespace ?? "", In(body, t), dryRun, Validation(ctx), Tracker(ctx, t), Admit(ctx, t), ct);
                    AddWarnings(ctx, created);
                    await WriteStoredAsync(ctx, 201, created.Object, t, ct);
                    return;
                }

                case "DELETE" when t.Namespace is not null || !t.Type.Namespaced:
                    await DeleteCollectionAsync(ctx, t, ct);
                    return;
                default:
                    throw ApiException.MethodNotAllowed();
            }
        }

        var ns = t.Namespace ?? "";
        var isStatus = t.Subresource == "status";
        switch (method)
        {
            case "GET":
            {
                var obj = store.Get(t.Type, ns, t.Name) ?? throw ApiException.NotFound(t.Type.Name, t.Name);
                await WriteObjectAsync(ctx, t, obj, 200, ct);
                return;
            }

            case "PUT":
            {
                var text = await ReadBodyAsync(ctx, ct);
                var body = In(CheckBodyIdentity(ParseObjectBody(ctx, t, text), t), t);
                var attempts = 0;

                // The store changes the body it is given; an update redone on a newer object starts from the request again.
                var result = await store.UpdateAsync(t.Type, ns, t.Name, _ => attempts++ == 0 ? body : In(ParseObjectBody(ctx, t, text), t), new UpdateOptions(
                    StatusSubresource: isStatus, RequireResourceVersion: true, DryRun: dryRun, NamespaceFinalize: t.Subresource == "finalize", Validation: Validation(ctx),
                    TrackFields: Tracker(ctx, t)), Admit(ctx, t), ct);
                AddWarnings(ctx, result);
                await WriteStoredAsync(ctx, 200, result.Object, t, ct);
                return;
            }

            case "PATCH":
                await PatchAsync(ctx, t, isStatus, dryRun, ct);
                return;
            case "DELETE" when t.Subresource is null:
            {
                var options = await ReadDeleteOptionsAsync(ctx, dryRun, ct);
                var result = await store.DeleteAsync(t.Type, ns, t.Name, options, Admit(ctx, t), ct);
                if (result.Removed)
                {
                    var details = t.Type.Name.Details(t.Name);
                    details["uid"] = result.Object.Uid;
                    await WriteJsonAsync(ctx, 200, StatusBody.Success(details), ct);
                }
                else
                {
                    await WriteStoredAsync(ctx, 200, result.Object, t, ct);
                }

                return;
            }

            default:
                throw ApiException.MethodNotAllowed();
        }
    }

    /// <summary>Records the request in the counters, then applies injected latency and failures before any store access.</summary>
    private async Task CountAndInjectFaultsAsync(HttpContext ctx, Target t, CancellationToken ct)
    {
        var verb = (ctx.Request.Method, t.Name is null) switch
        {
            ("GET", true) => IsTrue(ctx.Request.Query["watch"]) ? "watch" : "list",
            ("GET", false) => "get",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", true) => "deletecollection",
            ("DELETE", false) => "delete",
            (var m, _) => m.ToLowerInvariant(),
        };
        var resource = t.Subresource is null ? t.Type.Plural : $"{t.Type.Plural}/{t.Subresource}";
        var client = ctx.Request.Headers.UserAgent.ToString();
        requests.Record(new RequestKey(verb, resource, client));
        var (latency, failure) = faults.Decide(new RequestInfo(verb, resource, client,
            h => ctx.Request.Headers.TryGetValue(h, out var v) ? v.ToString() : null));
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, time, ct);
        }

        if (failure is not null)
        {
            throw failure.Kind switch
            {
                FaultKind.TooManyRequests => ApiException.TooManyRequests(failure.RetryAfterSeconds),
                FaultKind.Conflict => ApiException.Conflict(t.Type.Name, t.Name ?? ""),
                _ => ApiException.InternalError("injected fault"),
            };
        }
    }

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues v) => v.ToString() is "true" or "1" or "True";

    private static JsonObject CheckBodyIdentity(JsonObject body, Target t)
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

        var expected = ResourceType.ApiVersionOf(t.Type.Group, t.Version);
        if (body["apiVersion"] is JsonValue av && av.ToString() is { Length: > 0 } given && given != expected)
        {
            throw ApiException.BadRequest($"the API version in the data ({given}) does not match the expected API version ({expected})");
        }

        if (body["kind"] is JsonValue kv && kv.ToString() is { Length: > 0 } kind && kind != t.Type.Kind)
        {
            throw ApiException.BadRequest($"{kind} in version \"{t.Version}\" cannot be handled as a {t.Type.Kind}: no kind \"{kind}\" is registered for version \"{expected}\"");
        }

        if (t.Type.Namespaced)
        {
            var bodyNs = Meta.Str(body, "namespace");
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != t.Namespace)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
        }

        if (t.Name is not null && Meta.Str(body, "name") is { Length: > 0 } bodyName && bodyName != t.Name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({t.Name})");
        }

        return body;
    }

    /// <summary>
    /// A stored object's JSON as the requested resource and version serve it: the stored bytes themselves when they
    /// need no change (same apiVersion, no conversion, defaults already applied), else converted through a tree.
    /// </summary>
    private static byte[] OutJson(StoredObject obj, Target t) =>
        t.Type.Builtin != BuiltinKind.EventsV1Event && obj.ApiVersion == t.ApiVersion && !ResourceStore.NeedsReadDefaults(t.Type, obj)
            ? obj.Json
            : JsonSerializer.SerializeToUtf8Bytes(Out(obj.ToJsonObject(), t));

    /// <summary>A stored object as the requested resource and version serve it (defaults on read, cross-served kinds converted).</summary>
    private static JsonObject Out(JsonObject obj, Target t)
    {
        ResourceStore.DefaultOnRead(t.Type, obj);
        if (t.Type.Builtin == BuiltinKind.EventsV1Event)
        {
            obj = EventConversion.FromCore(obj);
        }

        obj["apiVersion"] = ResourceType.ApiVersionOf(t.Type.Group, t.Version);
        return obj;
    }

    /// <summary>A request body in the shape it is stored in.</summary>
    private static JsonObject In(JsonObject obj, Target t) =>
        t.Type.Builtin == BuiltinKind.EventsV1Event ? EventConversion.ToCore(obj) : obj;

    /// <summary>The fieldValidation query parameter; the server default is Warn.</summary>
    private static FieldValidation Validation(HttpContext ctx) => ctx.Request.Query["fieldValidation"].ToString() switch
    {
        "Strict" => FieldValidation.Strict,
        "Ignore" => FieldValidation.Ignore,
        "" or "Warn" => FieldValidation.Warn,
        var other => throw ApiException.BadRequest($"fieldValidation parameter unsupported: {other}"),
    };

    private static void AddWarnings(HttpContext ctx, WriteResult result)
    {
        foreach (var w in result.Warnings)
        {
            ctx.Response.Headers.Append("Warning", $"299 - {StructuralSchema.Quote(w)}");
        }
    }

    /// <summary>
    /// The request body as UTF-8, parsed from bytes (a string in between doubled the work and the garbage of every
    /// write). As the text reader did before: a byte order mark is dropped and invalid UTF-8 becomes U+FFFD.
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext ctx, CancellationToken ct)
    {
        var length = ctx.Request.ContentLength;
        using var buffer = new MemoryStream(length is > 0 and <= 16 << 20 ? (int)length.Value : 256);
        await ctx.Request.Body.CopyToAsync(buffer, ct);
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

    private static string Text(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);

    private static readonly string[] ObjectMediaTypes = [MediaTypes.Json, MediaTypes.Yaml];

    private static async Task<JsonObject> ReadObjectBodyAsync(HttpContext ctx, Target t, CancellationToken ct)
    {
        var contentType = MediaTypes.Bare(ctx.Request.ContentType);
        if (contentType is not (MediaTypes.Json or MediaTypes.Yaml or KubeProtobuf.MediaType or "" or "*/*"))
        {
            throw ApiException.UnsupportedMediaType(contentType, ObjectMediaTypes);
        }

        return ParseObjectBody(ctx, t, await ReadBodyAsync(ctx, ct));
    }

    private static JsonObject ParseObjectBody(HttpContext ctx, Target t, ReadOnlyMemory<byte> body)
    {
        var contentType = MediaTypes.Bare(ctx.Request.ContentType);
        var protobuf = contentType == KubeProtobuf.MediaType && KubeProtobuf.CanEncode(t.ApiVersion, t.Type.Kind); // custom resources: 415, as CRD handlers answer
        if (contentType is not (MediaTypes.Json or MediaTypes.Yaml or "" or "*/*") && !protobuf)
        {
            throw ApiException.UnsupportedMediaType(contentType, ObjectMediaTypes);
        }

        if (protobuf)
        {
            return ProtobufBody(body, t.Type.Kind);
        }

        var node = contentType == MediaTypes.Yaml ? YamlJson.Parse(Text(body)) : JsonNode.Parse(body.Span);
        return node as JsonObject ?? throw ApiException.BadRequest($"Object '{t.Type.Kind}' is missing in 'null'");
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

    private static async Task<Storage.DeleteOptions> ReadDeleteOptionsAsync(HttpContext ctx, bool dryRun, CancellationToken ct)
    {
        var q = ctx.Request.Query;
        var raw = await ReadBodyAsync(ctx, ct);
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
            dryRun || bodyDryRun);
    }

    private static readonly string[] PatchMediaTypes = [MediaTypes.JsonPatch, MediaTypes.MergePatch, MediaTypes.ApplyPatch];

    private async Task PatchAsync(HttpContext ctx, Target t, bool isStatus, bool dryRun, CancellationToken ct)
    {
        var contentType = MediaTypes.Bare(ctx.Request.ContentType);
        var supported = t.Type.IsCustom ? PatchMediaTypes : [.. PatchMediaTypes, MediaTypes.StrategicMergePatch];
        if (!supported.Contains(contentType))
        {
            throw ApiException.UnsupportedMediaType(contentType, supported);
        }

        var text = await ReadBodyAsync(ctx, ct);
        var ns = t.Namespace ?? "";
        var name = t.Name!;
        WriteResult result;
        if (contentType == MediaTypes.ApplyPatch)
        {
            if (string.IsNullOrEmpty(ctx.Request.Query["fieldManager"].ToString()))
            {
                throw ApiException.BadRequest("PATCH, application/apply-patch+yaml requests must have a fieldManager parameter");
            }

            var applied = YamlJson.Parse(Text(text)) as JsonObject ?? throw ApiException.BadRequest("error decoding YAML: body must be an object");
            CheckBodyIdentity(applied, t);
            if (applied["apiVersion"] is null || applied["kind"] is null)
            {
                throw ApiException.BadRequest("apiVersion and kind must be set in an apply patch");
            }

            // Server-side apply: create when missing, else merge by the list and map types, drop what this manager
            // stopped applying, and track ownership (409 on another manager's field unless force).
            var fields = Manager(ctx, t);
            var force = IsTrue(ctx.Request.Query["force"]);
            result = await store.UpdateAsync(t.Type, ns, name, current =>
            {
                if (current is null)
                {
                    var created = applied.DeepClone().AsObject();
                    Meta.Of(created)["name"] = name;
                    return In(fields.Apply(null, created, force), t);
                }

                var merged = fields.Apply(Out(current, t), applied, force);
                Meta.Of(merged)["resourceVersion"] = Meta.Str(applied, "resourceVersion") ?? Meta.ResourceVersion(current);
                return In(merged, t);
            }, new UpdateOptions(StatusSubresource: isStatus, CreateIfMissing: !isStatus, DryRun: dryRun, Validation: Validation(ctx), TrackFields: fields.Track), Admit(ctx, t), ct);
            AddWarnings(ctx, result);
            await WriteStoredAsync(ctx, result.Created ? 201 : 200, result.Object, t, ct);
            return;
        }

        var patch = JsonNode.Parse(text.Span);
        result = await store.UpdateAsync(t.Type, ns, name, current =>
        {
            var input = Out(current!, t);
            var patched = contentType switch
            {
                MediaTypes.JsonPatch => JsonPatch.Apply(input, patch),
                MediaTypes.StrategicMergePatch => MergePatch.Apply(input, patch, strategic: true),
                _ => MergePatch.Apply(input, patch),
            };
            return In(patched as JsonObject ?? throw ApiException.BadRequest("the patch produced a non-object document"), t);
        }, new UpdateOptions(StatusSubresource: isStatus, DryRun: dryRun, Validation: Validation(ctx), TrackFields: Tracker(ctx, t)), Admit(ctx, t), ct);
        AddWarnings(ctx, result);
        await WriteStoredAsync(ctx, 200, result.Object, t, ct);
    }

    /// <summary>
    /// The field manager of a write: the <c>fieldManager</c> parameter or the User-Agent's first segment. events.k8s.io
    /// events are stored converted to core events, so their fields are not tracked.
    /// </summary>
    private Action<JsonObject?, JsonObject>? Tracker(HttpContext ctx, Target t) =>
        t.Type.Builtin == BuiltinKind.EventsV1Event ? null : Manager(ctx, t).Track;

    private FieldManager Manager(HttpContext ctx, Target t) =>
        new(t.Type, ResourceType.ApiVersionOf(t.Type.Group, t.Version),
                FieldManager.ManagerFor(ctx.Request.Query["fieldManager"].ToString(), ctx.Request.Headers.UserAgent.ToString()), t.Subresource, time);

    private (LabelSelector Labels, FieldSelector Fields) Selectors(HttpContext ctx, Target t) =>
        (LabelSelector.Parse(ctx.Request.Query["labelSelector"].ToString()), FieldSelector.Parse(ctx.Request.Query["fieldSelector"].ToString(), t.Type));

    private static Func<StoredObject, bool> Filter(Target t, LabelSelector labels, FieldSelector fields) =>
        o => (t.Namespace is null || o.Namespace == t.Namespace) && labels.Matches(o) && fields.Matches(o);

    private sealed record ContinueToken(long Rv, string Ns, string Name);

    private async Task ListAsync(HttpContext ctx, Target t, CancellationToken ct)
    {
        var (labels, fields) = Selectors(ctx, t);
        var q = ctx.Request.Query;
        var (items, rv) = store.List(t.Type, t.Namespace, Filter(t, labels, fields));
        var listRv = rv;
        if (q["continue"].ToString() is { Length: > 0 } cont)
        {
            ContinueToken token;
            try
            {
                token = JsonSerializer.Deserialize<ContinueToken>(Convert.FromBase64String(cont)) ?? throw new FormatException();
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                throw ApiException.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
            }

            listRv = token.Rv;
            items = [.. items.Where(o => string.CompareOrdinal(o.Namespace, token.Ns) > 0
                                         || (o.Namespace == token.Ns && string.CompareOrdinal(o.Name, token.Name) > 0))];
        }

        var metadata = new JsonObject { ["resourceVersion"] = listRv.ToString(CultureInfo.InvariantCulture) };
        if (int.TryParse(q["limit"].ToString(), out var limit) && limit > 0 && items.Count > limit)
        {
            var last = items[limit - 1];
            items = items[..limit];
            metadata["continue"] = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new ContinueToken(listRv, last.Namespace, last.Name)));
        }

        var tableVersion = MediaTypes.Negotiate(ctx.Request.Headers.Accept.ToString(), "Table", "meta.k8s.io", "v1", "v1beta1");
        if (tableVersion is not null)
        {
            var table = tables.Convert(t.Type, t.Version, [.. items.Select(i => Out(i.ToJsonObject(), t))], q["includeObject"].ToString(), metadata);
            table["apiVersion"] = $"meta.k8s.io/{tableVersion}";
            await WriteJsonAsync(ctx, 200, table, ct, string.Format(CultureInfo.InvariantCulture, TableContentType, tableVersion));
            return;
        }

        // The list as JsonObject would write it ({"apiVersion","kind","metadata","items":[…]}), the items spliced in as stored.
        var head = new JsonObject
        {
            ["apiVersion"] = t.ApiVersion,
            ["kind"] = t.Type.ListKind,
            ["metadata"] = metadata,
        }.ToJsonString();
        var parts = new List<byte[]>(items.Count * 2 + 2) { Encoding.UTF8.GetBytes(head[..^1] + ",\"items\":[") };
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                parts.Add(Comma);
            }

            parts.Add(OutJson(items[i], t));
        }

        parts.Add(ListEnd);
        await WriteBytesAsync(ctx, 200, parts, ct);
    }

    private static readonly byte[] Comma = ","u8.ToArray();
    private static readonly byte[] ListEnd = "]}"u8.ToArray();

    private async Task WriteObjectAsync(HttpContext ctx, Target t, StoredObject obj, int code, CancellationToken ct)
    {
        var tableVersion = MediaTypes.Negotiate(ctx.Request.Headers.Accept.ToString(), "Table", "meta.k8s.io", "v1", "v1beta1");
        if (tableVersion is not null)
        {
            var table = tables.Convert(t.Type, t.Version, [Out(obj.ToJsonObject(), t)], ctx.Request.Query["includeObject"].ToString(), new JsonObject { ["resourceVersion"] = obj.ResourceVersion });
            table["apiVersion"] = $"meta.k8s.io/{tableVersion}";
            await WriteJsonAsync(ctx, code, table, ct, string.Format(CultureInfo.InvariantCulture, TableContentType, tableVersion));
            return;
        }

        await WriteStoredAsync(ctx, code, obj, t, ct);
    }

    private static Task WriteStoredAsync(HttpContext ctx, int code, StoredObject obj, Target t, CancellationToken ct) =>
        WriteBytesAsync(ctx, code, [OutJson(obj, t)], ct);

    private async Task DeleteCollectionAsync(HttpContext ctx, Target t, CancellationToken ct)
    {
        var (labels, fields) = Selectors(ctx, t);
        var options = await ReadDeleteOptionsAsync(ctx, ctx.Request.Query["dryRun"].ToString() == "All", ct);
        var (items, rv) = store.List(t.Type, t.Namespace, Filter(t, labels, fields));
        var deleted = new JsonArray();
        var admit = Admit(ctx, t);
        foreach (var item in items)
        {
            try
            {
                var r = await store.DeleteAsync(t.Type, item.Namespace, item.Name, options with { PreconditionUid = null, PreconditionResourceVersion = null }, admit, ct);
                deleted.Add(Out(r.Object.ToJsonObject(), t));
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Raced with another delete; the end state is the same.
            }
        }

        await WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["apiVersion"] = ResourceType.ApiVersionOf(t.Type.Group, t.Version),
            ["kind"] = t.Type.ListKind,
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        }, ct);
    }

    private async Task WatchAsync(HttpContext ctx, Target t, CancellationToken requestAborted)
    {
        var dropped = faults.WatchDropToken;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _shutdown.Token, dropped);
        var ct = linked.Token;
        var (labels, fields) = Selectors(ctx, t);
        var filter = Filter(t, labels, fields);
        var q = ctx.Request.Query;
        var rvText = q["resourceVersion"].ToString();
        long? from = null;
        if (rvText.Length > 0 && rvText != "0")
        {
            if (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw ApiException.BadRequest($"invalid resource version: \"{rvText}\"");
            }

            from = parsed;
        }

        var tableVersion = MediaTypes.Negotiate(ctx.Request.Headers.Accept.ToString(), "Table", "meta.k8s.io", "v1", "v1beta1");
        var includeObject = q["includeObject"].ToString();
        var bookmarks = IsTrue(q["allowWatchBookmarks"]);
        var timeout = int.TryParse(q["timeoutSeconds"].ToString(), out var ts) && ts > 0 ? TimeSpan.FromSeconds(ts) : TimeSpan.FromMinutes(30);

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = tableVersion is null ? MediaTypes.Json : string.Format(CultureInfo.InvariantCulture, TableContentType, tableVersion);
        ctx.Response.Headers.CacheControl = "no-cache, private";

        WatchSubscription subscription;
        List<StoredObject> initial;
        try
        {
            (subscription, initial) = store.StartWatch(t.Type, from);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            // Like the watch cache: a 200 stream whose only event is an ERROR carrying the 410 Status.
            await WriteEventAsync(ctx, "ERROR", e.ToStatus(), ct);
            return;
        }

        try
        {
            var lastRv = from ?? store.Revision;
            await ctx.Response.StartAsync(ct);
            foreach (var obj in initial.Where(filter))
            {
                lastRv = Math.Max(lastRv, long.Parse(obj.ResourceVersion, CultureInfo.InvariantCulture));
                await WriteEventAsync(ctx, "ADDED", obj, t, tableVersion, includeObject, flush: false, ct);
            }

            await ctx.Response.Body.FlushAsync(ct);

            if (initial.Count > 0)
            {
                lastRv = Math.Max(lastRv, initial.Max(o => long.Parse(o.ResourceVersion, CultureInfo.InvariantCulture)));
            }

            var reader = subscription.Channel.Reader;
            var deadline = time.GetUtcNow() + timeout;
            var nextBookmark = time.GetUtcNow();
            // One timer for the whole stream, re-armed per wait: a fresh linked source per wake-up cost an allocation
            // and a timer registration for every event.
            var delay = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var written = false;
                    while (reader.TryRead(out var e))
                    {
                        lastRv = e.Revision;
                        if (Translate(e, filter) is { } translated)
                        {
                            // Plain JSON is the stored bytes between an event prefix and suffix: nothing to render per watcher.
                            await WriteEventAsync(ctx, translated.Type, translated.Object, t, tableVersion, includeObject, flush: false, ct);
                            written = true;
                        }
                    }

                    if (written)
                    {
                        // Events that queued up together leave in one send, not one system call each.
                        await ctx.Response.Body.FlushAsync(ct);
                    }

                    var now = time.GetUtcNow();
                    if (now >= deadline)
                    {
                        return;
                    }

                    if (bookmarks && now >= nextBookmark)
                    {
                        // Everything for this bucket up to the current revision has been written (the channel is
                        // drained and fed under the store lock), so the bookmark may claim the current revision.
                        var revision = store.Revision;
                        if (reader.Count == 0)
                        {
                            lastRv = Math.Max(lastRv, revision);
                            await WriteEventAsync(ctx, "BOOKMARK", new JsonObject
                            {
                                ["kind"] = t.Type.Kind,
                                ["apiVersion"] = ResourceType.ApiVersionOf(t.Type.Group, t.Version),
                                ["metadata"] = new JsonObject { ["resourceVersion"] = lastRv.ToString(CultureInfo.InvariantCulture) },
                            }, ct);
                        }

                        nextBookmark = now + bookmarkInterval;
                    }

                    var wait = (bookmarks ? Min(deadline, nextBookmark) : deadline) - now;
                    if (!delay.TryReset())
                    {
                        delay.Dispose();
                        delay = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    }

                    delay.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                    try
                    {
                        if (!await reader.WaitToReadAsync(delay.Token))
                        {
                            return;
                        }
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // Timer fired: loop to emit a bookmark or end at the deadline.
                    }
                }
            }
            finally
            {
                delay.Dispose();
            }
        }
        catch (OperationCanceledException) when (dropped.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            // Injected watch drop: end the stream cleanly, clients re-watch from their last resourceVersion.
        }
        finally
        {
            store.StopWatch(subscription);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>The type <see cref="Translate"/> gives the event, without copying anything; null when the watcher does not see it.</summary>
    private static string? TranslatedType(WatchEvent e, Func<StoredObject, bool> filter)
    {
        switch (e.Type)
        {
            case "DELETED":
                return filter(e.Object) ? "DELETED" : null;
            case "ADDED":
                return filter(e.Object) ? "ADDED" : null;
        }

        var now = filter(e.Object);
        var before = e.Previous is not null && filter(e.Previous);
        return now && before ? "MODIFIED" : now ? "ADDED" : before ? "DELETED" : null;
    }

    /// <summary>Selector transitions as the watch cache does them: leaving the selection is DELETED (the last state at the event's revision), entering is ADDED.</summary>
    private static (string Type, StoredObject Object)? Translate(WatchEvent e, Func<StoredObject, bool> filter)
    {
        switch (TranslatedType(e, filter))
        {
            case null:
                return null;
            case "DELETED" when e.Type != "DELETED":
                return ("DELETED", e.Previous!.WithResourceVersion(e.Revision));
            case var type:
                return (type, e.Object);
        }
    }

    private static readonly Dictionary<string, byte[]> EventPrefixes = new[] { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" }
        .ToDictionary(type => type, type => Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":"));

    private static readonly byte[] EventEnd = "}\n"u8.ToArray();

    /// <summary>One watch event line: the object's JSON as served (see <see cref="OutJson"/>), or its Table row.</summary>
    private async Task WriteEventAsync(HttpContext ctx, string type, StoredObject obj, Target t, string? tableVersion, string includeObject, bool flush, CancellationToken ct)
    {
        if (tableVersion is not null)
        {
            var o = Out(obj.ToJsonObject(), t);
            var table = tables.Convert(t.Type, t.Version, [o], includeObject, new JsonObject { ["resourceVersion"] = Meta.ResourceVersion(o) });
            table["apiVersion"] = $"meta.k8s.io/{tableVersion}";
            await WriteEventAsync(ctx, type, table, ct);
            return;
        }

        var body = ctx.Response.Body;
        await body.WriteAsync(EventPrefixes[type], ct);
        await body.WriteAsync(OutJson(obj, t), ct);
        await body.WriteAsync(EventEnd, ct);
        if (flush)
        {
            await body.FlushAsync(ct);
        }
    }

    private static async Task WriteEventAsync(HttpContext ctx, string type, JsonObject obj, CancellationToken ct)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), ct);
        await ctx.Response.Body.FlushAsync(ct);
    }

    private static async Task WriteBytesAsync(HttpContext ctx, int code, List<byte[]> parts, CancellationToken ct)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = MediaTypes.Json;
        ctx.Response.ContentLength = parts.Sum(p => (long)p.Length);
        foreach (var part in parts)
        {
            await ctx.Response.Body.WriteAsync(part, ct);
        }
    }

    private static async Task WriteJsonAsync(HttpContext ctx, int code, JsonObject body, CancellationToken ct, string contentType = MediaTypes.Json)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ct);
    }

    private static async Task WriteTextAsync(HttpContext ctx, int code, string text, CancellationToken ct)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync(text, ct);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error serving {Method} {Path}")]
    private partial void LogUnhandled(Exception e, string method, string path);
}
