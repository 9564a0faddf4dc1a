using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Discovery;
using Vers.LocalCluster.ApiServer.Handlers;
using Vers.LocalCluster.ApiServer.OpenApi;
using Vers.LocalCluster.ApiServer.Patching;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;
using Vers.LocalCluster.ApiServer.Selectors;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Tables;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>
/// The server's HTTP entry: authentication, the non-resource paths (version, health, discovery, OpenAPI), and the
/// routing of resource paths to the verb handlers (as <c>endpoints/installer.go</c> registers them).
/// </summary>
internal sealed partial class ApiRequestHandler
{
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ResourceStore _store;
    private readonly DiscoveryDocuments _discovery;
    private readonly OpenApiDocuments _openApi;
    private readonly OpenApiV2 _openApiV2;
    private readonly Func<bool>? _readiness;
    private readonly Func<AccessPolicy> _access;
    private readonly ILogger _logger;
    private readonly GetHandler _get;
    private readonly WatchHandler _watch;
    private readonly CreateHandler _create;
    private readonly UpdateHandler _update;
    private readonly PatchHandler _patch;
    private readonly DeleteHandler _delete;
    private readonly ReviewHandler _reviews;
    private readonly RequestGate _gate;

    public ApiRequestHandler(ResourceStore store, DiscoveryDocuments discovery, OpenApiDocuments openApi, TableConverter tables, TimeProvider time,
        Func<bool>? readiness, TimeSpan bookmarkInterval, FaultInjector faults, RequestCounters requests, Func<AccessPolicy> access, AdmissionChain admission, ILogger logger)
    {
        _store = store;
        _discovery = discovery;
        _openApi = openApi;
        _openApiV2 = new OpenApiV2(openApi, time);
        _readiness = readiness;
        _access = access;
        _logger = logger;
        var services = new ApiServices(store, tables, time, faults, access, admission, bookmarkInterval, _shutdown.Token);
        _get = new GetHandler(services);
        _watch = new WatchHandler(services);
        _create = new CreateHandler(services);
        _update = new UpdateHandler(services);
        _patch = new PatchHandler(services);
        _delete = new DeleteHandler(services);
        _reviews = new ReviewHandler(services);
        _gate = new RequestGate(faults, requests, time);
    }

    /// <summary>Ends open watch streams so the server can stop without waiting for clients.</summary>
    public void Shutdown() => _shutdown.Cancel();

    public const string GitVersion = "v1.32.4";

    public async Task HandleAsync(HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        try
        {
            ctx.Features.Set(Impersonation.Apply(ctx, Authenticate(ctx), _access()));
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

                await Responses.WriteErrorAsync(ctx, e.Code, e.ToStatus(), ct);
            }
        }
        catch (InvalidImpersonationException e)
        {
            // responsewriters.InternalError: http.Error's plain text, not a Status.
            ctx.Response.Headers.XContentTypeOptions = "nosniff";
            await Responses.WriteTextAsync(ctx, 500, $"Internal Server Error: \"{ctx.Request.Path}{ctx.Request.QueryString}\": {e.Message}\n", ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (KubeApiServer sets it to the same 3 MiB) when a read outruns RequestBodies' check.
            if (!ctx.Response.HasStarted)
            {
                await Responses.WriteErrorAsync(ctx, 413, RequestBodies.TooLarge().ToStatus(), ct);
            }
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            if (!ctx.Response.HasStarted)
            {
                await Responses.WriteErrorAsync(ctx, 400, ApiException.BadRequest($"error decoding YAML: {e.Message}").ToStatus(), ct);
            }
        }
        catch (JsonException e)
        {
            if (!ctx.Response.HasStarted)
            {
                await Responses.WriteErrorAsync(ctx, 400, ApiException.BadRequest($"error decoding request body: {e.Message}").ToStatus(), ct);
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
                await Responses.WriteErrorAsync(ctx, 500, StatusBody.Failure(500, "InternalError", $"Internal error occurred: {e.Message}", null), ct);
            }
        }
    }

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

        return _access().Authenticate(parts[1]) is { } user ? ClusterUsers.Of(user) : throw ApiException.Unauthorized();
    }

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
                await Responses.WriteJsonAsync(ctx, 200, new JsonObject
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
                await Responses.WriteTextAsync(ctx, 200, "ok", ct);
                return;
            case "/readyz":
                await ReadyzAsync(ctx, ct);
                return;
            case "/api":
                await DiscoveryAsync(ctx, core: true, ct);
                return;
            case "/apis":
                await DiscoveryAsync(ctx, core: false, ct);
                return;
            case "/openapi/v3":
                await Responses.WriteJsonAsync(ctx, 200, _openApi.Index(), ct);
                return;
            case "/openapi/v2":
                await OpenApiEndpoints.ServeV2Async(ctx, _openApiV2, ct);
                return;
        }

        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            var doc = _openApi.Document(path["/openapi/v3/".Length..]) ?? throw ApiException.UnknownPath();
            await OpenApiEndpoints.ServeV3Async(ctx, doc, ct);
            return;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 2 && segments[0] == "api" && segments[1] == "v1")
        {
            if (segments.Length == 2)
            {
                RequireGet(method);
                await Responses.WriteJsonAsync(ctx, 200, _discovery.ResourceList("", "v1"), ct);
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
                if (!_discovery.HasGroup(group))
                {
                    throw ApiException.UnknownPath();
                }

                await Responses.WriteJsonAsync(ctx, 200, _discovery.ApiGroup(group), ct);
                return;
            }

            var version = segments[2];
            if (segments.Length == 3)
            {
                RequireGet(method);
                if (!_discovery.HasGroupVersion(group, version))
                {
                    throw ApiException.UnknownPath();
                }

                await Responses.WriteJsonAsync(ctx, 200, _discovery.ResourceList(group, version), ct);
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

    /// <summary>
    /// <c>/readyz</c> as healthz.go <c>handleRootHealth</c> answers it: "ok", or every check with [+]/[-] and a 500.
    /// The etcd check is our storage's (a durable write, see <see cref="ResourceStore.CheckStorage"/>).
    /// </summary>
    private Task ReadyzAsync(HttpContext ctx, CancellationToken ct)
    {
        (string Name, bool Ok)[] checks = [("ping", true), ("etcd", _store.CheckStorage()), ("readiness", _readiness?.Invoke() ?? true)];
        if (checks.All(c => c.Ok))
        {
            return Responses.WriteTextAsync(ctx, 200, "ok", ct);
        }

        var body = string.Concat(checks.Select(c => c.Ok ? $"[+]{c.Name} ok\n" : $"[-]{c.Name} failed: reason withheld\n")) + "readyz check failed";
        return Responses.WriteTextAsync(ctx, 500, body, ct);
    }

    private async Task DiscoveryAsync(HttpContext ctx, bool core, CancellationToken ct)
    {
        var accept = ctx.Request.Headers.Accept.ToString();
        var v = MediaTypes.Negotiate(accept, "APIGroupDiscoveryList", "apidiscovery.k8s.io", "v2", "v2beta1");
        if (v is not null)
        {
            await Responses.WriteJsonAsync(ctx, 200, _discovery.Aggregated(core, v), ct, $"application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList");
            return;
        }

        await Responses.WriteJsonAsync(ctx, 200, core ? _discovery.ApiVersions(ctx.Request.Host.Value ?? "127.0.0.1") : _discovery.ApiGroupList(), ct);
    }

    private RequestScope Resolve(string group, string version, string[] segs)
    {
        string? ns = null;
        if (segs[0] == "namespaces" && segs.Length >= 3 && !(group.Length == 0 && segs.Length == 3 && IsNamespaceSubresource(segs[2])))
        {
            ns = segs[1];
            segs = segs[2..];
        }

        if (segs.Length > 3)
        {
            throw ApiException.UnknownPath();
        }

        var type = _store.Registry.Find(group, version, segs[0]) ?? throw ApiException.UnknownPath();
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

        if (sub is not null && !(sub == "status" && type.Version(version)!.HasStatus) && !type.Strategy.Subresources.Contains(sub))
        {
            throw ApiException.UnknownPath();
        }

        return new RequestScope(type, version, ns, name, sub);
    }

    /// <summary>Whether /api/v1/namespaces/{name}/{segment} is a subresource of that namespace rather than a resource in it.</summary>
    private bool IsNamespaceSubresource(string segment) => segment == "status" || _store.Registry.Namespaces.Strategy.Subresources.Contains(segment);

    private async Task ResourceAsync(HttpContext ctx, string group, string version, string[] segs, CancellationToken ct)
    {
        // requestinfo.go: a "watch" segment after the version makes the request a watch, and a name after the
        // resource is the watched object (installer.go routes these paths to ListResource with forceWatch).
        var watchPath = segs.Length > 1 && segs[0] == "watch";
        var scope = Resolve(group, version, watchPath ? segs[1..] : segs);
        var q = ctx.Request.Query;
        var method = ctx.Request.Method;
        var verb = RequestAuthorization.Verb(ctx, scope, watchPath);
        RequestAuthorization.Authorize(ctx, scope, verb, _access());
        await _gate.EnterAsync(ctx, scope, verb, ct);
        if (watchPath)
        {
            if (scope.Type.IsReview || scope.Subresource is not null)
            {
                throw ApiException.UnknownPath();
            }

            RequireGet(method);
            await _watch.WatchAsync(ctx, scope, ct);
            return;
        }

        // Every handler but watch's negotiates its output before it reads the request (handlers/create.go and the rest:
        // NegotiateOutputMediaType first), so an unacceptable Accept header is 406 before anything is written.
        if (!(method == "GET" && scope.Name is null && RequestScope.IsTrue(q["watch"])))
        {
            Negotiation.ForResource(ctx, scope);
        }

        if (scope.Type.IsReview)
        {
            await _reviews.CreateAsync(ctx, scope, ct);
            return;
        }

        var collection = scope.Namespace is not null || !scope.Type.Namespaced;
        var task = (method, scope.Name is null) switch
        {
            ("GET", true) when RequestScope.IsTrue(q["watch"]) => _watch.WatchAsync(ctx, scope, ct),
            ("GET", true) => _get.ListAsync(ctx, scope, ct),
            ("POST", true) when collection => _create.CreateAsync(ctx, scope, ct),
            ("DELETE", true) when collection => _delete.DeleteCollectionAsync(ctx, scope, ct),
            ("GET", false) => _get.GetAsync(ctx, scope, ct),
            ("PUT", false) => _update.UpdateAsync(ctx, scope, ct),
            ("PATCH", false) => _patch.PatchAsync(ctx, scope, ct),
            ("DELETE", false) when scope.Subresource is null => _delete.DeleteAsync(ctx, scope, ct),
            _ => throw ApiException.MethodNotAllowed(),
        };
        await task;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error serving {Method} {Path}")]
    private partial void LogUnhandled(Exception e, string method, string path);
}
