using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Authorization;

/// <summary>
/// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac/rbac.go <c>RBACAuthorizer</c>) over the stored Roles,
/// ClusterRoles, RoleBindings and ClusterRoleBindings, with the rule resolver of pkg/registry/rbac/validation/rule.go
/// (<c>DefaultRuleResolver.VisitRulesFor</c>, <c>GetRoleReferenceRules</c>). It allows or has no opinion, never denies.
/// ClusterRoles are read as stored: an aggregationRule is not expanded into rules (no aggregation controller).
/// </summary>
internal sealed class RbacAuthorizer
{
    private readonly ResourceStore _store;
    private readonly ResourceType _roles;
    private readonly ResourceType _clusterRoles;
    private readonly ResourceType _roleBindings;
    private readonly ResourceType _clusterRoleBindings;

    public RbacAuthorizer(ResourceStore store)
    {
        _store = store;
        ResourceType Of(BuiltinKind kind) => store.Registry.Builtins.First(t => t.Builtin == kind);
        _roles = Of(BuiltinKind.Role);
        _clusterRoles = Of(BuiltinKind.ClusterRole);
        _roleBindings = Of(BuiltinKind.RoleBinding);
        _clusterRoleBindings = Of(BuiltinKind.ClusterRoleBinding);
    }

    /// <summary>
    /// rbac.go <c>Authorize</c>: allowed by the first rule that allows the request (reason "RBAC: allowed by …"), else
    /// no opinion, with the role resolution errors met on the way as the reason ("RBAC: …", errors.NewAggregate).
    /// </summary>
    public (bool Allowed, string Reason) Authorize(RbacRequest request)
    {
        string? allowedBy = null;
        List<string>? errors = null;
        VisitRulesFor(request.User, request.Groups, request.Namespace, (source, rule, error) =>
        {
            if (rule is not null && PolicyRules.RuleAllows(request, rule))
            {
                allowedBy = source();
                return false;
            }

            if (error is not null)
            {
                (errors ??= []).Add(error);
            }

            return true;
        });

        if (allowedBy is not null)
        {
            return (true, $"RBAC: allowed by {allowedBy}");
        }

        return errors is null ? (false, "") : (false, "RBAC: " + (errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]"));
    }

    /// <summary>rule.go <c>RulesFor</c>: every rule that applies to the user in the namespace, and the resolution errors.</summary>
    public (List<PolicyRule> Rules, List<string> Errors) RulesFor(string user, IReadOnlyList<string> groups, string ns)
    {
        var rules = new List<PolicyRule>();
        var errors = new List<string>();
        VisitRulesFor(user, groups, ns, (_, rule, error) =>
        {
            if (rule is not null)
            {
                rules.Add(rule);
            }

            if (error is not null)
            {
                errors.Add(error);
            }

            return true;
        });
        return (rules, errors);
    }

    /// <summary>
    /// rule.go <c>VisitRulesFor</c>: the rules of the ClusterRoleBindings that apply to the user, then (with a
    /// namespace) those of the RoleBindings in it; a binding whose role is missing yields an error, not rules. The
    /// visitor gets a lazy description of the rule's source and returns false to stop.
    /// </summary>
    public void VisitRulesFor(string user, IReadOnlyList<string> groups, string ns, Func<Func<string>, PolicyRule?, string?, bool> visitor)
    {
        foreach (var (binding, rules) in RbacBootstrap.Grants)
        {
            if (binding.SubjectFor(user, groups, "") is { } subject && !VisitAll(binding, subject, rules, visitor))
            {
                return;
            }
        }

        if (!VisitBindings(_store.Snapshot(_clusterRoleBindings, null).Items, user, groups, "", visitor) || ns.Length == 0)
        {
            return;
        }

        VisitBindings(_store.Snapshot(_roleBindings, ns).Items, user, groups, ns, visitor);
    }

    private bool VisitBindings(List<StoredObject> bindings, string user, IReadOnlyList<string> groups, string ns, Func<Func<string>, PolicyRule?, string?, bool> visitor)
    {
        foreach (var stored in bindings)
        {
            var binding = RbacDecoded.Binding(stored);
            if (binding.SubjectFor(user, groups, ns) is not { } subject)
            {
                continue;
            }

            var (rules, error) = RoleReferenceRules(binding, ns);
            if (error is not null)
            {
                if (!visitor(() => "", null, error))
                {
                    return false;
                }

                continue;
            }

            if (!VisitAll(binding, subject, rules!, visitor))
            {
                return false;
            }
        }

        return true;
    }

    private static bool VisitAll(RbacBinding binding, RbacSubject subject, PolicyRule[] rules, Func<Func<string>, PolicyRule?, string?, bool> visitor)
    {
        foreach (var rule in rules)
        {
            if (!visitor(() => binding.Describe(subject), rule, null))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>rule.go <c>GetRoleReferenceRules</c>, with the listers' NotFound messages for a missing role.</summary>
    private (PolicyRule[]? Rules, string? Error) RoleReferenceRules(RbacBinding binding, string ns)
    {
        switch (binding.RoleKind)
        {
            case "Role":
                return _store.Get(_roles, ns, binding.RoleName) is { } role
                    ? (RbacDecoded.RulesOf(role), null)
                    : (null, $"role.rbac.authorization.k8s.io \"{binding.RoleName}\" not found");
            case "ClusterRole":
                return _store.Get(_clusterRoles, "", binding.RoleName) is { } clusterRole
                    ? (RbacDecoded.RulesOf(clusterRole), null)
                    : (null, $"clusterrole.rbac.authorization.k8s.io \"{binding.RoleName}\" not found");
            default:
                return (null, $"unsupported role reference kind: \"{binding.RoleKind}\"");
        }
    }
}
