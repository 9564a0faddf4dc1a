using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Authorization;

/// <summary>An rbac/v1 PolicyRule (k8s.io/api/rbac/v1 types.go), its lists as stored (absent: empty).</summary>
internal sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    public static PolicyRule From(JsonObject rule) => new(
        Strings(rule["verbs"]), Strings(rule["apiGroups"]), Strings(rule["resources"]), Strings(rule["resourceNames"]), Strings(rule["nonResourceURLs"]));

    internal static string[] Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(v => v?.ToString()).OfType<string>()] : [];
}

/// <summary>
/// The attributes RBAC decides on (authorizer.Attributes): a resource request (group, resource, subresource,
/// namespace, name) or a non-resource one (<see cref="Path"/> set).
/// </summary>
internal sealed record RbacRequest(string User, IReadOnlyList<string> Groups, string Verb, string Group, string Resource, string Subresource, string Namespace, string Name, string? Path = null)
{
    public bool IsResourceRequest => Path is null;

    /// <summary>
    /// From an <see cref="AccessRequest"/>: its resource is <c>plural</c> or <c>plural/subresource</c>, or a path
    /// (starting with <c>/</c>) for a non-resource review.
    /// </summary>
    public static RbacRequest From(AccessRequest r)
    {
        if (r.Resource.StartsWith('/'))
        {
            return new(r.User, r.Groups, r.Verb, "", "", "", "", "", r.Resource);
        }

        var slash = r.Resource.IndexOf('/');
        return slash < 0
            ? new(r.User, r.Groups, r.Verb, r.Group, r.Resource, "", r.Namespace, r.Name)
            : new(r.User, r.Groups, r.Verb, r.Group, r.Resource[..slash], r.Resource[(slash + 1)..], r.Namespace, r.Name);
    }
}

/// <summary>
/// Rule matching as plugin/pkg/auth/authorizer/rbac/rbac.go <c>RuleAllows</c> and pkg/apis/rbac/v1/evaluation_helpers.go
/// (<c>VerbMatches</c>, <c>APIGroupMatches</c>, <c>ResourceMatches</c>, <c>ResourceNameMatches</c>,
/// <c>NonResourceURLMatches</c>) do it.
/// </summary>
internal static class PolicyRules
{
    public const string All = "*";

    public static bool RuleAllows(RbacRequest request, PolicyRule rule)
    {
        if (request.IsResourceRequest)
        {
            var combined = request.Subresource.Length > 0 ? request.Resource + "/" + request.Subresource : request.Resource;
            return VerbMatches(rule, request.Verb)
                && ApiGroupMatches(rule, request.Group)
                && ResourceMatches(rule, combined, request.Subresource)
                && ResourceNameMatches(rule, request.Name);
        }

        return VerbMatches(rule, request.Verb) && NonResourceUrlMatches(rule, request.Path!);
    }

    public static bool VerbMatches(PolicyRule rule, string verb) => rule.Verbs.Any(v => v == All || v == verb);

    public static bool ApiGroupMatches(PolicyRule rule, string group) => rule.ApiGroups.Any(g => g == All || g == group);

    /// <summary>
    /// <c>*</c>, the exact <c>resource</c> or <c>resource/subresource</c>, or <c>*/subresource</c> for a request of
    /// that subresource (of any resource). Upstream has no <c>resource/*</c> wildcard: such a rule matches only a
    /// subresource literally named <c>*</c>.
    /// </summary>
    public static bool ResourceMatches(PolicyRule rule, string combinedResource, string subresource)
    {
        foreach (var r in rule.Resources)
        {
            if (r == All || r == combinedResource)
            {
                return true;
            }

            if (subresource.Length > 0 && r.Length == subresource.Length + 2 && r.StartsWith("*/", StringComparison.Ordinal) && r.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>No names: every name (and none); else the request's name must be listed.</summary>
    public static bool ResourceNameMatches(PolicyRule rule, string name) => rule.ResourceNames.Count == 0 || rule.ResourceNames.Contains(name);

    /// <summary><c>*</c>, the exact path, or a prefix ending in <c>*</c>.</summary>
    public static bool NonResourceUrlMatches(PolicyRule rule, string path)
    {
        foreach (var u in rule.NonResourceUrls)
        {
            if (u == All || u == path)
            {
                return true;
            }

            if (u.EndsWith('*') && path.StartsWith(u.TrimEnd('*'), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
