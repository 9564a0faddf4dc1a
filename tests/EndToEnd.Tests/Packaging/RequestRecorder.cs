using System.Collections.Concurrent;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>One Kubernetes API request as RBAC sees it: verb, API group, resource (with "/subresource"), namespace.</summary>
internal sealed record ApiRequest(string Client, string Verb, string Group, string Resource, string? Namespace, string Path)
{
    public override string ToString() => $"{Client}: {Verb} {(Group.Length == 0 ? "core" : Group)}/{Resource}{(Namespace is null ? "" : $" in {Namespace}")}";
}

/// <summary>
/// Records every request a KubernetesClient makes, resolved to RBAC attributes the way the API server's
/// RequestInfoFactory does. Used on the clients of the operator and the shim under test, so what they
/// call can be checked against the rendered roles.
/// </summary>
internal sealed class RequestRecorder(string client, ConcurrentQueue<ApiRequest> log) : DelegatingHandler
{
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Resolve(client, request.Method, request.RequestUri!) is { } resolved)
        {
            log.Enqueue(resolved);
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>Null for non-resource requests (discovery, /version), which every authenticated user may make.</summary>
    public static ApiRequest? Resolve(string client, HttpMethod method, Uri uri)
    {
        var parts = uri.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        string group;
        string[] rest;
        if (parts is ["api", _, _, ..])
        {
            group = "";
            rest = parts[2..];
        }
        else if (parts is ["apis", _, _, _, ..])
        {
            group = parts[1];
            rest = parts[3..];
        }
        else
        {
            return null;
        }

        string? ns = null;
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            ns = rest[1];
            if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2]))
            {
                rest = rest[2..];
            }
            else
            {
                ns = null; // the namespace object itself (or its status/finalize)
            }
        }

        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : null;
        if (rest.Length > 2)
        {
            resource += "/" + rest[2];
        }

        var watch = uri.Query.Contains("watch=true", StringComparison.Ordinal) || uri.Query.Contains("watch=1", StringComparison.Ordinal);
        var verb = method.Method switch
        {
            "GET" when watch => "watch",
            "GET" => name is null ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => method.Method.ToLowerInvariant(),
        };
        return new ApiRequest(client, verb, group, resource, ns, uri.AbsolutePath);
    }
}
