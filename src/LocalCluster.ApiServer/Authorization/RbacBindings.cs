using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Authorization;

/// <summary>An rbac/v1 Subject.</summary>
internal sealed record RbacSubject(string Kind, string Name, string Namespace)
{
    /// <summary>
    /// pkg/registry/rbac/validation/rule.go <c>appliesToUser</c>: a User by name, a Group by membership, a
    /// ServiceAccount by its username <c>system:serviceaccount:ns:name</c> (the namespace defaulting to the binding's).
    /// </summary>
    public bool AppliesTo(string user, IReadOnlyList<string> groups, string bindingNamespace)
    {
        switch (Kind)
        {
            case "User":
                return user == Name;
            case "Group":
                return groups.Contains(Name);
            case "ServiceAccount":
                var ns = Namespace.Length > 0 ? Namespace : bindingNamespace;
                return ns.Length > 0 && user == $"system:serviceaccount:{ns}:{Name}";
            default:
                return false;
        }
    }

    /// <summary>rule.go <c>describeSubject</c>.</summary>
    public string Describe(string bindingNamespace) => Kind == "ServiceAccount"
        ? $"{Kind} \"{Name}/{(Namespace.Length > 0 ? Namespace : bindingNamespace)}\""
        : $"{Kind} \"{Name}\"";
}

/// <summary>A RoleBinding or ClusterRoleBinding: its subjects and roleRef (kind Role or ClusterRole, and name).</summary>
internal sealed record RbacBinding(string Name, string Namespace, string RoleKind, string RoleName, IReadOnlyList<RbacSubject> Subjects)
{
    public static RbacBinding From(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject;
        var roleRef = obj["roleRef"] as JsonObject;
        var subjects = (obj["subjects"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(s => new RbacSubject(s["kind"]?.ToString() ?? "", s["name"]?.ToString() ?? "", s["namespace"]?.ToString() ?? ""))
            .ToArray();
        return new(meta?["name"]?.ToString() ?? "", meta?["namespace"]?.ToString() ?? "", roleRef?["kind"]?.ToString() ?? "", roleRef?["name"]?.ToString() ?? "", subjects);
    }

    /// <summary>rule.go <c>appliesTo</c>: the first subject that applies, or null.</summary>
    public RbacSubject? SubjectFor(string user, IReadOnlyList<string> groups, string bindingNamespace)
    {
        foreach (var s in Subjects)
        {
            if (s.AppliesTo(user, groups, bindingNamespace))
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>rule.go <c>clusterRoleBindingDescriber</c> / <c>roleBindingDescriber</c>: the source named in "allowed by".</summary>
    public string Describe(RbacSubject subject) => Namespace.Length == 0
        ? $"ClusterRoleBinding \"{Name}\" of {RoleKind} \"{RoleName}\" to {subject.Describe("")}"
        : $"RoleBinding \"{Name}/{Namespace}\" of {RoleKind} \"{RoleName}\" to {subject.Describe(Namespace)}";
}

/// <summary>
/// Stored RBAC objects decoded once: stored objects are immutable, so each one's decoded form is kept beside it
/// (weakly) and a request only decodes bindings and roles written since it was last seen.
/// </summary>
internal static class RbacDecoded
{
    private static readonly ConditionalWeakTable<StoredObject, RbacBinding> Bindings = new();
    private static readonly ConditionalWeakTable<StoredObject, PolicyRule[]> Rules = new();

    public static RbacBinding Binding(StoredObject o) => Bindings.GetValue(o, s => RbacBinding.From(s.ToJsonObject()));

    public static PolicyRule[] RulesOf(StoredObject o) => Rules.GetValue(o, s =>
        [.. (s.ToJsonObject()["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(PolicyRule.From)]);
}

/// <summary>
/// The bootstrap grants of a real cluster (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go): cluster-admin
/// bound to system:masters (so a rules review shows the admin everything), system:basic-user and system:discovery
/// bound to system:authenticated, system:public-info-viewer to system:authenticated and system:unauthenticated. They
/// are built in here rather than stored objects.
/// </summary>
internal static class RbacBootstrap
{
    private static readonly string[] Get = ["get"];
    private static readonly string[] None = [];

    private static readonly PolicyRule[] BasicUser =
    [
        new(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], None, None),
        new(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"], None, None),
    ];

    private static readonly PolicyRule[] Discovery =
        [new(Get, None, None, None, ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])];

    private static readonly PolicyRule[] PublicInfo = [new(Get, None, None, None, ["/healthz", "/livez", "/readyz", "/version", "/version/"])];

    private static readonly PolicyRule[] ClusterAdmin = [new(["*"], ["*"], ["*"], None, None), new(["*"], None, None, None, ["*"])];

    public static readonly (RbacBinding Binding, PolicyRule[] Rules)[] Grants =
    [
        (Bound("cluster-admin", AccessPolicy.SystemMasters), ClusterAdmin),
        (Bound("system:basic-user", "system:authenticated"), BasicUser),
        (Bound("system:discovery", "system:authenticated"), Discovery),
        (Bound("system:public-info-viewer", "system:authenticated", "system:unauthenticated"), PublicInfo),
    ];

    private static RbacBinding Bound(string name, params string[] groups) =>
        new(name, "", "ClusterRole", name, [.. groups.Select(g => new RbacSubject("Group", g, ""))]);
}
