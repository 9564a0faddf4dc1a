using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry.Rbac;

/// <summary>
/// pkg/apis/rbac/validation/validation.go: ValidatePolicyRule, ValidateClusterRole's aggregationRule,
/// ValidateRoleBinding/ValidateClusterRoleBinding (roleRef, subjects by kind) and the roleRef's immutability;
/// pkg/apis/rbac/v1/defaults.go for the apiGroups that are defaulted.
/// </summary>
internal static class RbacValidation
{
    public const string GroupName = "rbac.authorization.k8s.io";

    public static void Rules(JsonObject role, bool namespaced, List<FieldError> errors)
    {
        var i = 0;
        foreach (var rule in (role["rules"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var path = $"rules[{i++}]";
            if (Count(rule, "verbs") == 0)
            {
                errors.Add(new FieldError("FieldValueRequired", path + ".verbs", "verbs must contain at least one value"));
            }

            if (Count(rule, "nonResourceURLs") > 0)
            {
                var urls = GoStrings(rule["nonResourceURLs"]);
                if (namespaced)
                {
                    errors.Add(new FieldError("FieldValueInvalid", path + ".nonResourceURLs", "namespaced rules cannot apply to non-resource URLs", urls));
                }

                if (Count(rule, "apiGroups") > 0 || Count(rule, "resources") > 0 || Count(rule, "resourceNames") > 0)
                {
                    errors.Add(new FieldError("FieldValueInvalid", path + ".nonResourceURLs", "rules cannot apply to both regular resources and non-resource URLs", urls));
                }

                continue;
            }

            if (Count(rule, "apiGroups") == 0)
            {
                errors.Add(new FieldError("FieldValueRequired", path + ".apiGroups", "resource rules must supply at least one api group"));
            }

            if (Count(rule, "resources") == 0)
            {
                errors.Add(new FieldError("FieldValueRequired", path + ".resources", "resource rules must supply at least one resource"));
            }
        }
    }

    /// <summary>A ClusterRole's aggregationRule: at least one selector, each a valid label selector.</summary>
    public static void AggregationRule(JsonObject role, List<FieldError> errors)
    {
        if (role["aggregationRule"] is not JsonObject rule)
        {
            return;
        }

        const string path = "aggregationRule.clusterRoleSelectors";
        var selectors = (rule["clusterRoleSelectors"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (selectors.Count == 0)
        {
            errors.Add(new FieldError("FieldValueRequired", path, "at least one clusterRoleSelector required if aggregationRule is non-nil"));
        }

        for (var i = 0; i < selectors.Count; i++)
        {
            errors.AddRange(LabelSelectors.Validate(selectors[i], $"{path}[{i}]"));
        }
    }

    /// <summary>SetDefaults_RoleBinding/ClusterRoleBinding and SetDefaults_Subject: roleRef and User/Group subjects are RBAC's.</summary>
    public static void DefaultBinding(JsonObject binding)
    {
        if (binding["roleRef"] is not JsonObject roleRef)
        {
            roleRef = new JsonObject();
            binding["roleRef"] = roleRef;
        }

        if (roleRef["apiGroup"]?.ToString() is null or "")
        {
            roleRef["apiGroup"] = GroupName;
        }

        foreach (var subject in (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (subject["apiGroup"]?.ToString() is null or "")
            {
                subject["apiGroup"] = subject["kind"]?.ToString() is "User" or "Group" ? GroupName : "";
                if (subject["apiGroup"]!.ToString().Length == 0)
                {
                    subject.Remove("apiGroup");
                }
            }
        }
    }

    public static void Binding(JsonObject binding, bool namespaced, List<FieldError> errors)
    {
        var roleRef = binding["roleRef"] as JsonObject ?? [];
        var apiGroup = Str(roleRef, "apiGroup");
        if (apiGroup != GroupName)
        {
            errors.Add(NotSupported("roleRef.apiGroup", apiGroup, GroupName));
        }

        var kind = Str(roleRef, "kind");
        string[] kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
        if (!kinds.Contains(kind))
        {
            errors.Add(NotSupported("roleRef.kind", kind, kinds));
        }

        var name = Str(roleRef, "name");
        if (name.Length == 0)
        {
            errors.Add(new FieldError("FieldValueRequired", "roleRef.name", ""));
        }
        else
        {
            errors.AddRange(NameRules.PathSegment(name, "roleRef.name"));
        }

        var i = 0;
        foreach (var subject in (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Subject(subject, namespaced, $"subjects[{i++}]", errors);
        }
    }

    /// <summary>ValidateRoleBindingUpdate: the roleRef of a binding never changes (delete and recreate it).</summary>
    public static void RoleRefUnchanged(JsonObject updated, JsonObject old, List<FieldError> errors)
    {
        var roleRef = updated["roleRef"] as JsonObject ?? [];
        if (!JsonNode.DeepEquals(roleRef, old["roleRef"]))
        {
            errors.Add(new FieldError("FieldValueInvalid", "roleRef", "cannot change roleRef",
                $"rbac.RoleRef{{APIGroup:{Q(Str(roleRef, "apiGroup"))}, Kind:{Q(Str(roleRef, "kind"))}, Name:{Q(Str(roleRef, "name"))}}}"));
        }
    }

    private static void Subject(JsonObject subject, bool namespaced, string path, List<FieldError> errors)
    {
        var name = Str(subject, "name");
        if (name.Length == 0)
        {
            errors.Add(new FieldError("FieldValueRequired", path + ".name", ""));
        }

        var apiGroup = Str(subject, "apiGroup");
        switch (Str(subject, "kind"))
        {
            case "ServiceAccount":
                if (name.Length > 0)
                {
                    errors.AddRange(NameRules.Subdomain(name, path + ".name"));
                }

                if (apiGroup.Length > 0)
                {
                    errors.Add(NotSupported(path + ".apiGroup", apiGroup, ""));
                }

                if (!namespaced && Str(subject, "namespace").Length == 0)
                {
                    errors.Add(new FieldError("FieldValueRequired", path + ".namespace", ""));
                }

                break;
            case "User" or "Group":
                if (apiGroup != GroupName)
                {
                    errors.Add(NotSupported(path + ".apiGroup", apiGroup, GroupName));
                }

                break;
            case var other:
                errors.Add(NotSupported(path + ".kind", other, "ServiceAccount", "User", "Group"));
                break;
        }
    }

    private static FieldError NotSupported(string path, string value, params string[] supported) =>
        new("FieldValueNotSupported", path, "supported values: " + string.Join(", ", supported.Select(Q)), Q(value));

    private static int Count(JsonObject o, string key) => o[key] is JsonArray a ? a.Count : 0;

    private static string Str(JsonObject o, string key) => o[key]?.ToString() ?? "";

    private static string GoStrings(JsonNode? list) =>
        "[]string{" + string.Join(", ", (list as JsonArray ?? []).Select(n => Q(n?.ToString() ?? ""))) + "}";

    private static string Q(string s) => StructuralSchema.Quote(s);
}
