using System.Text.Json.Nodes;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>One verb on one resource, granted by a role through a binding; Namespace null means every namespace.</summary>
internal sealed record Grant(string Role, string Group, string Resource, string Verb, string? Namespace)
{
    public bool Allows(ApiRequest r) =>
        Group == r.Group && Resource == r.Resource && Verb == r.Verb && (Namespace is null || Namespace == r.Namespace);

    public override string ToString() => $"{Verb} {(Group.Length == 0 ? "core" : Group)}/{Resource}{(Namespace is null ? "" : $" in {Namespace}")} ({Role})";
}

/// <summary>Evaluates rendered RBAC objects like the API server's RBAC authorizer (no resourceNames in our roles).</summary>
internal static class Rbac
{
    public static readonly string[] RoleKinds = ["Role", "ClusterRole"];

    /// <summary>Every (group, resource, verb) the ServiceAccount gets through the manifests' bindings.</summary>
    public static List<Grant> GrantsOf(IReadOnlyList<JsonObject> manifests, string saNamespace, string saName)
    {
        var grants = new List<Grant>();
        foreach (var binding in manifests.OfKind("ClusterRoleBinding", "RoleBinding"))
        {
            var subjects = binding["subjects"]?.AsArray() ?? [];
            if (!subjects.Any(s => (string?)s!["kind"] == "ServiceAccount" && (string?)s["name"] == saName && (string?)s["namespace"] == saNamespace))
            {
                continue;
            }

            var bindingNs = Manifests.Kind(binding) == "RoleBinding" ? Manifests.Namespace(binding) : null;
            var roleKind = (string)binding["roleRef"]!["kind"]!;
            var roleName = (string)binding["roleRef"]!["name"]!;
            var role = manifests.OfKind(roleKind).SingleOrDefault(r => Manifests.Name(r) == roleName && (roleKind == "ClusterRole" || Manifests.Namespace(r) == bindingNs))
                ?? throw new InvalidOperationException($"{Manifests.Id(binding)} refers to {roleKind} {roleName}, which is not rendered");
            grants.AddRange(Expand(role, bindingNs));
        }

        return grants;
    }

    public static IEnumerable<Grant> Expand(JsonObject role, string? ns) =>
        from rule in Rules(role)
        from g in Strings(rule, "apiGroups")
        from r in Strings(rule, "resources")
        from v in Strings(rule, "verbs")
        select new Grant(Manifests.Name(role), g, r, v, ns);

    public static IEnumerable<JsonObject> Rules(JsonObject role) => (role["rules"]?.AsArray() ?? []).Select(r => r!.AsObject());

    public static IEnumerable<string> Strings(JsonObject rule, string field) => (rule[field]?.AsArray() ?? []).Select(x => (string)x!);

    /// <summary>A role's rules as sorted "group|resource|verb" lines, for comparing two renderings of a role.</summary>
    public static List<string> Normalised(JsonObject role) =>
        Expand(role, null).Select(g => $"{g.Group}|{g.Resource}|{g.Verb}").Distinct().Order(StringComparer.Ordinal).ToList();
}
