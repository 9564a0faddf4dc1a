using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests.Authorization;

/// <summary>
/// Binding resolution (rule.go VisitRulesFor): ClusterRoleBindings everywhere, RoleBindings in their namespace, the
/// subject kinds, a missing role, and the union with the policy's own rules.
/// </summary>
public sealed class RbacBindingTests
{
    private static async Task<TestCluster> StartAsync(AccessPolicy? policy = null)
    {
        var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy ?? AccessPolicy.WithRbac() });
        using var api = new RawApi(c.Server.BaseAddress);
        foreach (var ns in new[] { "ns", "other" })
        {
            await api.PostAsync("/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        }

        return c;
    }

    private static async Task CreateAsync(TestCluster c, string path, string json)
    {
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.PostAsync(path, json);
        Assert.True((int)reply.Code == 201, $"{path}: {reply.Code} {reply.Body}");
    }

    private static Task RoleAsync(TestCluster c, string ns, string name, string verbs = "\"get\",\"list\"") => CreateAsync(c, $"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
        $$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"{{name}}"},"rules":[{"verbs":[{{verbs}}],"apiGroups":[""],"resources":["configmaps"]}]}""");

    private static Task ClusterRoleAsync(TestCluster c, string name) => CreateAsync(c, "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        $$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"{{name}}"},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["configmaps"]}]}""");

    private static Task BindingAsync(TestCluster c, string? ns, string name, string roleKind, string role, string subject) => CreateAsync(c,
        ns is null ? "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings" : $"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
        $$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"{{(ns is null ? "ClusterRoleBinding" : "RoleBinding")}}","metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{roleKind}}","name":"{{role}}"},"subjects":[{{subject}}]}""");

    private const string Alice = """{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}""";

    private static (bool Allowed, bool Denied, string Reason) Ask(TestCluster c, string user, string verb, string ns, IReadOnlyList<string>? groups = null) =>
        c.Server.Access.Authorize(new AccessRequest(user, groups ?? ["system:authenticated"], verb, "", "configmaps", ns, ""));

    [Fact]
    public async Task A_role_binding_grants_its_roles_rules_in_its_namespace()
    {
        await using var c = await StartAsync();
        await RoleAsync(c, "ns", "r");
        await BindingAsync(c, "ns", "rb", "Role", "r", Alice);
        Assert.Equal((true, false, "RBAC: allowed by RoleBinding \"rb/ns\" of Role \"r\" to User \"alice\""), Ask(c, "alice", "list", "ns"));
    }

    [Fact]
    public async Task A_role_binding_grants_nothing_in_another_namespace()
    {
        await using var c = await StartAsync();
        await RoleAsync(c, "ns", "r");
        await BindingAsync(c, "ns", "rb", "Role", "r", Alice);
        Assert.Equal((false, false, ""), Ask(c, "alice", "list", "other"));
    }

    [Fact]
    public async Task A_binding_grants_nothing_to_another_user()
    {
        await using var c = await StartAsync();
        await RoleAsync(c, "ns", "r");
        await BindingAsync(c, "ns", "rb", "Role", "r", Alice);
        Assert.False(Ask(c, "bob", "list", "ns").Allowed);
    }

    [Fact]
    public async Task A_cluster_role_binding_grants_in_every_namespace()
    {
        await using var c = await StartAsync();
        await ClusterRoleAsync(c, "cm-reader");
        await BindingAsync(c, null, "crb", "ClusterRole", "cm-reader", Alice);
        Assert.True(Ask(c, "alice", "get", "other").Allowed);
        Assert.True(Ask(c, "alice", "list", "").Allowed);
    }

    [Fact]
    public async Task A_role_binding_to_a_cluster_role_grants_only_in_the_bindings_namespace()
    {
        await using var c = await StartAsync();
        await ClusterRoleAsync(c, "cm-reader");
        await BindingAsync(c, "ns", "rb", "ClusterRole", "cm-reader", Alice);
        Assert.Equal((true, false), (Ask(c, "alice", "list", "ns").Allowed, Ask(c, "alice", "list", "other").Allowed));
    }

    [Fact]
    public async Task A_group_subject_applies_to_the_groups_members()
    {
        await using var c = await StartAsync();
        await RoleAsync(c, "ns", "r");
        await BindingAsync(c, "ns", "rb", "Role", "r", """{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"devs"}""");
        Assert.True(Ask(c, "carol", "get", "ns", ["devs", "system:authenticated"]).Allowed);
    }

    [Fact]
    public async Task A_service_account_subject_without_a_namespace_is_the_bindings_namespaces_account()
    {
        await using var c = await StartAsync();
        await RoleAsync(c, "ns", "r");
        await BindingAsync(c, "ns", "rb", "Role", "r", """{"kind":"ServiceAccount","name":"builder","namespace":"ns"}""");
        Assert.True(Ask(c, "system:serviceaccount:ns:builder", "get", "ns").Allowed);
        Assert.False(Ask(c, "system:serviceaccount:other:builder", "get", "ns").Allowed);
    }

    [Fact]
    public async Task A_binding_to_a_missing_role_grants_nothing_and_says_why()
    {
        await using var c = await StartAsync();
        await BindingAsync(c, "ns", "rb", "Role", "absent", Alice);
        Assert.Equal((false, false, "RBAC: role.rbac.authorization.k8s.io \"absent\" not found"), Ask(c, "alice", "get", "ns"));
    }

    [Fact]
    public async Task A_deny_rule_of_the_policy_wins_over_rbac()
    {
        var policy = AccessPolicy.WithRbac().Deny(new AccessRule(User: "alice", Verb: "list"));
        await using var c = await StartAsync(policy);
        await RoleAsync(c, "ns", "r");
        await BindingAsync(c, "ns", "rb", "Role", "r", Alice);
        var (allowed, denied, _) = Ask(c, "alice", "list", "ns");
        Assert.Equal((false, true), (allowed, denied));
    }

    [Fact]
    public async Task Rbac_off_ignores_the_bindings()
    {
        await using var c = await StartAsync(new AccessPolicy { AllowAll = false });
        await RoleAsync(c, "ns", "r");
        await BindingAsync(c, "ns", "rb", "Role", "r", Alice);
        Assert.False(Ask(c, "alice", "list", "ns").Allowed);
    }

    [Fact]
    public async Task Every_authenticated_user_may_review_itself_and_read_discovery()
    {
        await using var c = await StartAsync();
        var auth = new[] { "system:authenticated" };
        Assert.True(c.Server.Access.Authorize(new AccessRequest("x", auth, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "")).Allowed);
        Assert.True(c.Server.Access.Authorize(new AccessRequest("x", auth, "get", "", "/apis/apps/v1", "", "")).Allowed);
        Assert.False(c.Server.Access.Authorize(new AccessRequest("x", ["system:unauthenticated"], "get", "", "/apis", "", "")).Allowed);
    }
}
