using Microsoft.AspNetCore.Http;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>
/// The authorization filter (staging/src/k8s.io/apiserver/pkg/endpoints/filters/authorization.go,
/// <c>WithAuthorization</c>) over the <see cref="AccessPolicy"/>: every resource request is authorized as the user it
/// authenticated (or impersonated) as, so what the access reviews answer is what the server enforces. Under the
/// default allow-all policy that is everything, as with <c>--authorization-mode=AlwaysAllow</c>.
/// </summary>
internal static class RequestAuthorization
{
    /// <summary>The request's verb as requestinfo.go derives it from the method, the path and the watch parameter.</summary>
    public static string Verb(HttpContext ctx, RequestScope scope, bool watchPath) => (ctx.Request.Method, scope.Name is null) switch
    {
        _ when watchPath => "watch",
        ("GET", true) => RequestScope.IsTrue(ctx.Request.Query["watch"]) ? "watch" : "list",
        ("GET", false) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "deletecollection",
        ("DELETE", false) => "delete",
        (var m, _) => m.ToLowerInvariant(),
    };

    /// <summary>403 Forbidden with responsewriters.Forbidden's message when the policy does not allow the request.</summary>
    public static void Authorize(HttpContext ctx, RequestScope scope, string verb, AccessPolicy policy)
    {
        // The bootstrap ClusterRole system:basic-user lets every user ask about itself.
        if (scope.Type.IsSelfReview)
        {
            return;
        }

        var user = RequestScope.UserOf(ctx);
        var resource = scope.Subresource is null ? scope.Type.Plural : $"{scope.Type.Plural}/{scope.Subresource}";
        var (allowed, _, reason) = policy.Authorize(new AccessRequest(user.Username, user.Groups, verb, scope.Type.Group, resource, scope.Namespace ?? "", scope.Name ?? ""));
        if (allowed)
        {
            return;
        }

        // forbiddenMessage, then errors.NewForbidden(group/resource, name, …) (the resource without its subresource).
        var where = scope.Namespace is { Length: > 0 } ns ? $"in the namespace \"{ns}\"" : "at the cluster scope";
        var message = $"User \"{user.Username}\" cannot {verb} resource \"{resource}\" in API group \"{scope.Type.Group}\" {where}";
        if (reason.Length > 0)
        {
            message += ": " + reason;
        }

        var qualified = scope.Type.Name.Qualified;
        throw ApiException.Forbidden(scope.Type.Name, scope.Name ?? "",
            scope.Name is null ? $"{qualified} is forbidden: {message}" : $"{qualified} \"{scope.Name}\" is forbidden: {message}");
    }
}
