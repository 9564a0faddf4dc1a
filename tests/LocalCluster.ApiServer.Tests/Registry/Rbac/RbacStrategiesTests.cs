using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Rbac;

/// <summary>pkg/apis/rbac/validation and the rbac/v1 defaults.</summary>
public sealed class RbacStrategiesTests
{
    private const string Group = "rbac.authorization.k8s.io/v1";

    private static string Binding(string kind, string name, string roleRef, string subjects) =>
        $$$"""{"apiVersion":"{{{Group}}}","kind":"{{{kind}}}","metadata":{"name":"{{{name}}}"},"roleRef":{{{roleRef}}},"subjects":{{{subjects}}}}""";

    [Fact]
    public async Task Rbac_names_may_be_any_path_segment()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ClusterRoles, $$$"""{"apiVersion":"{{{Group}}}","kind":"ClusterRole","metadata":{"name":"system:Controller:x"}}""");

        var message = await api.FailsAsync(ClusterRoles, $$$"""{"apiVersion":"{{{Group}}}","kind":"ClusterRole","metadata":{"name":"a%b"}}""");

        Assert.Equal("ClusterRole.rbac.authorization.k8s.io \"a%b\" is invalid: metadata.name: Invalid value: \"a%b\": may not contain '%'", message);
    }

    [Fact]
    public async Task A_rule_needs_verbs_api_groups_and_resources()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Roles, $$$"""{"apiVersion":"{{{Group}}}","kind":"Role","metadata":{"name":"r"},"rules":[{}]}""");

        Assert.Equal("Role.rbac.authorization.k8s.io \"r\" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, "
                     + "rules[0].apiGroups: Required value: resource rules must supply at least one api group, rules[0].resources: Required value: resource rules must supply at least one resource]", message);
    }

    [Fact]
    public async Task A_namespaced_rule_cannot_name_non_resource_urls()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Roles, $$$"""{"apiVersion":"{{{Group}}}","kind":"Role","metadata":{"name":"r"},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}""");

        Assert.Equal("Role.rbac.authorization.k8s.io \"r\" is invalid: rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs", message);
    }

    [Fact]
    public async Task An_aggregation_rule_needs_a_selector()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ClusterRoles, $$$"""{"apiVersion":"{{{Group}}}","kind":"ClusterRole","metadata":{"name":"agg"},"aggregationRule":{}}""");

        Assert.Equal("ClusterRole.rbac.authorization.k8s.io \"agg\" is invalid: aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil", message);
    }

    [Fact]
    public async Task An_aggregation_rule_selector_has_valid_operators()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ClusterRoles, $$$"""{"apiVersion":"{{{Group}}}","kind":"ClusterRole","metadata":{"name":"agg"},"aggregationRule":{"clusterRoleSelectors":[{"matchExpressions":[{"key":"a","operator":"Near"}]}]}}""");

        Assert.Equal("ClusterRole.rbac.authorization.k8s.io \"agg\" is invalid: aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator", message);
    }

    [Fact]
    public async Task A_binding_without_role_ref_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(RoleBindings, $$$"""{"apiVersion":"{{{Group}}}","kind":"RoleBinding","metadata":{"name":"b"}}""");

        Assert.Equal("RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: [roleRef.kind: Unsupported value: \"\": supported values: \"Role\", \"ClusterRole\", roleRef.name: Required value]", message);
    }

    [Fact]
    public async Task A_cluster_role_binding_may_only_refer_to_a_cluster_role()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ClusterRoleBindings, Binding("ClusterRoleBinding", "b", """{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"}""", "[]"));

        Assert.Equal("ClusterRoleBinding.rbac.authorization.k8s.io \"b\" is invalid: roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"", message);
    }

    [Fact]
    public async Task The_role_ref_cannot_change()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(RoleBindings, Binding("RoleBinding", "b", """{"kind":"Role","name":"r"}""", "[]"));

        var r = await api.Raw.PatchAsync(RoleBindings + "/b", """{"roleRef":{"name":"other"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Code);
        Assert.Equal("RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: cannot change roleRef", r.Str("message"));
    }

    [Fact]
    public async Task Role_ref_and_user_subjects_default_to_the_rbac_group()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(RoleBindings, Binding("RoleBinding", "b", """{"kind":"Role","name":"r"}""", """[{"kind":"User","name":"alice"},{"kind":"ServiceAccount","name":"sa"}]"""));

        Assert.Equal("rbac.authorization.k8s.io", r.Str("roleRef", "apiGroup"));
        Assert.Equal("rbac.authorization.k8s.io", r.Body!["subjects"]![0]!["apiGroup"]!.ToString());
        Assert.Null(r.Body["subjects"]![1]!["apiGroup"]);
    }

    [Fact]
    public async Task A_subject_kind_must_be_user_group_or_service_account()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(RoleBindings, Binding("RoleBinding", "b", """{"kind":"Role","name":"r"}""", """[{"kind":"Robot","name":"x"}]"""));

        Assert.Equal("RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"", message);
    }

    [Fact]
    public async Task A_service_account_subject_has_no_api_group()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(RoleBindings, Binding("RoleBinding", "b", """{"kind":"Role","name":"r"}""", """[{"kind":"ServiceAccount","name":"sa","apiGroup":"rbac.authorization.k8s.io"}]"""));

        Assert.Equal("RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: subjects[0].apiGroup: Unsupported value: \"rbac.authorization.k8s.io\": supported values: \"\"", message);
    }

    [Fact]
    public async Task A_cluster_role_binding_service_account_subject_needs_a_namespace()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ClusterRoleBindings, Binding("ClusterRoleBinding", "b", """{"kind":"ClusterRole","name":"r"}""", """[{"kind":"ServiceAccount","name":"sa"}]"""));

        Assert.Equal("ClusterRoleBinding.rbac.authorization.k8s.io \"b\" is invalid: subjects[0].namespace: Required value", message);
    }
}
