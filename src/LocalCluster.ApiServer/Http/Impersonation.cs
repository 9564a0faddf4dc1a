using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>Impersonation headers that cannot be honoured (groups, extras or a UID without a user): a plain-text 500.</summary>
internal sealed class InvalidImpersonationException(string message) : Exception(message);

/// <summary>
/// kube-apiserver's impersonation filter (staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go,
/// <c>WithImpersonation</c> and <c>buildImpersonationRequests</c>): each Impersonate-User/-Group/-Uid/-Extra-* value
/// is authorized as the verb <c>impersonate</c> on users, serviceaccounts, groups, uids or userextras for the
/// authenticated requester (by the <see cref="AccessPolicy"/>, as reviews are answered); the first one refused is
/// 403, else the request goes on as the impersonated user, and handlers, reviews and admission see that user.
/// </summary>
internal static class Impersonation
{
    private const string UserHeader = "Impersonate-User";
    private const string GroupHeader = "Impersonate-Group";
    private const string UidHeader = "Impersonate-Uid";
    private const string ExtraPrefix = "Impersonate-Extra-";
    private const string ServiceAccountPrefix = "system:serviceaccount:";
    private const string AuthenticationGroup = "authentication.k8s.io";

    /// <summary>One thing to impersonate, as buildImpersonationRequests' ObjectReference carries it.</summary>
    private sealed record Request(string Kind, string Name, string Namespace = "", string ExtraKey = "")
    {
        /// <summary>%v of the ObjectReference: {Kind Namespace Name UID APIVersion ResourceVersion FieldPath}.</summary>
        public override string ToString() =>
            $"{{{Kind} {Namespace} {Name}  {(Kind is "UserExtra" or "UID" ? AuthenticationGroup + "/v1" : "")}  {ExtraKey}}}";
    }

    public static AdmissionUser Apply(HttpContext ctx, AdmissionUser requester, AccessPolicy policy)
    {
        var requests = Requests(ctx.Request.Headers);
        if (requests.Count == 0)
        {
            return requester;
        }

        // Groups given are the authority, system:authenticated included; none given: a service account's own groups.
        var groupsSpecified = ctx.Request.Headers[GroupHeader].Count > 0;
        var username = "";
        var uid = "";
        var groups = new List<string>();
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            var (group, resource) = r.Kind switch
            {
                "ServiceAccount" => ("", "serviceaccounts"),
                "User" => ("", "users"),
                "Group" => ("", "groups"),
                "UID" => (AuthenticationGroup, "uids"),
                _ => (AuthenticationGroup, "userextras"),
            };
            switch (r.Kind)
            {
                case "ServiceAccount":
                    username = ServiceAccountPrefix + r.Namespace + ":" + r.Name;
                    if (!groupsSpecified)
                    {
                        groups = ["system:serviceaccounts", "system:serviceaccounts:" + r.Namespace];
                    }

                    break;
                case "User":
                    username = r.Name;
                    break;
                case "Group":
                    groups.Add(r.Name);
                    break;
                case "UID":
                    uid = r.Name;
                    break;
                default:
                    extra[r.ExtraKey] = [.. extra.GetValueOrDefault(r.ExtraKey) ?? [], r.Name];
                    break;
            }

            var sub = r.Kind == "UserExtra" ? "/" + r.ExtraKey : "";
            var (allowed, _, _) = policy.Authorize(new AccessRequest(requester.Username, requester.Groups, "impersonate", group, resource + sub, r.Namespace, r.Name));
            if (!allowed)
            {
                // responsewriters.Forbidden: the authorizer's reason is not added, as RBAC gives none for no match.
                var scope = r.Namespace.Length > 0 ? $"in the namespace \"{r.Namespace}\"" : "at the cluster scope";
                var name = new ResourceName(group, resource);
                throw ApiException.Forbidden(name, r.Name,
                    $"{name.Qualified} \"{r.Name}\" is forbidden: User \"{requester.Username}\" cannot impersonate resource \"{resource}{sub}\" in API group \"{group}\" {scope}");
            }
        }

        // Impersonating anyone but system:anonymous adds system:authenticated unless either all-users group is there.
        if (username != "system:anonymous")
        {
            if (!groups.Contains("system:authenticated") && !groups.Contains("system:unauthenticated"))
            {
                groups.Add("system:authenticated");
            }
        }
        else if (!groups.Contains("system:unauthenticated"))
        {
            groups.Add("system:unauthenticated");
        }

        return new AdmissionUser(username, groups, uid) { Extra = extra };
    }

    /// <summary>buildImpersonationRequests: the user (or service account), each group, each extra value, the UID.</summary>
    private static bool HasImpersonationHeader(IHeaderDictionary headers)
    {
        foreach (var name in headers.Keys)
        {
            if (name.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static List<Request> Requests(IHeaderDictionary headers)
    {
        var requests = new List<Request>();
        if (!HasImpersonationHeader(headers))
        {
            return requests; // the common case, without enumerating the headers into pairs
        }

        var user = headers[UserHeader].FirstOrDefault() ?? "";
        if (user.Length > 0)
        {
            var sa = user.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) ? user[ServiceAccountPrefix.Length..].Split(':') : [];
            requests.Add(sa is [{ Length: > 0 } ns, { Length: > 0 } name] ? new Request("ServiceAccount", name, ns) : new Request("User", user));
        }

        foreach (var group in headers[GroupHeader])
        {
            requests.Add(new Request("Group", group ?? ""));
        }

        foreach (var (header, values) in headers)
        {
            if (header.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var key = header[ExtraPrefix.Length..].ToLowerInvariant();
                key = Uri.UnescapeDataString(key);
                requests.AddRange(values.Select(v => new Request("UserExtra", v ?? "", ExtraKey: key)));
            }
        }

        if (headers[UidHeader].FirstOrDefault() is { Length: > 0 } uid)
        {
            requests.Add(new Request("UID", uid));
        }

        if (user.Length == 0 && requests.Count > 0)
        {
            throw new InvalidImpersonationException($"requested [{string.Join(" ", requests)}] without impersonating a user");
        }

        return requests;
    }
}
