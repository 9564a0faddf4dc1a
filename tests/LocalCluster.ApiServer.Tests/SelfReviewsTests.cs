using System.Net;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// SelfSubjectReview (<c>kubectl auth whoami</c>) and SelfSubjectRulesReview (<c>kubectl auth can-i --list</c>),
/// answered from the <see cref="AccessPolicy"/> for the user the request authenticated as.
/// </summary>
public sealed class SelfReviewsTests
{
    private const string SelfReviews = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    private const string RulesReviews = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
    private const string SelfReview = """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""";

    private static string RulesReview(string ns) =>
        $$$"""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"{{{ns}}}"}}""";

    private static Dictionary<string, string> Bearer(string token) => new() { ["Authorization"] = $"Bearer {token}" };

    private static AccessPolicy OperatorPolicy() => new AccessPolicy { AllowAll = false }
        .AddToken("op-token", new TokenUser("operator", "u-7", ["vers-operators"]))
        .Allow(new AccessRule(User: "vers-operators", Verb: "get", Group: "vers.sh", Resource: "repositoryforks", Namespace: "team-a"))
        .Allow(new AccessRule(User: "vers-operators", Verb: "get", Group: "coordination.k8s.io", Resource: "leases", Namespace: "team-a"))
        .Allow(new AccessRule(User: "operator", Verb: "list", Group: "", Resource: "configmaps"))
        .Allow(new AccessRule(User: "operator", Verb: "get", Resource: "/healthz"))
        .Allow(new AccessRule(User: "someone-else", Verb: "delete"));

    [Fact]
    public async Task Self_subject_review_returns_the_token_users_name_uid_and_groups()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = OperatorPolicy() });
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.SendAsync(HttpMethod.Post, SelfReviews, SelfReview, "application/json", headers: Bearer("op-token"));
        Assert.Equal(HttpStatusCode.Created, reply.Code);
        Assert.Equal("SelfSubjectReview", reply.Str("kind"));
        var info = reply.Body!["status"]!["userInfo"]!;
        Assert.Equal("operator", info["username"]!.ToString());
        Assert.Equal("u-7", info["uid"]!.ToString());
        Assert.Equal(["vers-operators", "system:authenticated"], info["groups"]!.AsArray().Select(g => g!.ToString()));
        Assert.NotNull(reply.Str("metadata", "creationTimestamp"));
    }

    [Fact]
    public async Task Self_subject_review_without_a_token_is_the_cluster_admin()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var info = (await api.PostAsync(SelfReviews, SelfReview)).Body!["status"]!["userInfo"]!.AsObject();
        Assert.Equal("system:admin", info["username"]!.ToString());
        Assert.Equal(["system:masters", "system:authenticated"], info["groups"]!.AsArray().Select(g => g!.ToString()));
        Assert.False(info.ContainsKey("uid"));
    }

    [Fact]
    public async Task Self_subject_rules_review_lists_the_allow_rules_that_apply_to_the_user_in_the_namespace()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = OperatorPolicy() });
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.SendAsync(HttpMethod.Post, RulesReviews, RulesReview("team-a"), "application/json", headers: Bearer("op-token"));
        Assert.Equal(HttpStatusCode.Created, reply.Code);
        var status = reply.Body!["status"]!;
        Assert.Equal(
            ["get vers.sh repositoryforks", "get coordination.k8s.io leases", "list  configmaps"],
            status["resourceRules"]!.AsArray().Select(r => $"{r!["verbs"]![0]} {r["apiGroups"]![0]} {r["resources"]![0]}"));
        var nonResource = Assert.Single(status["nonResourceRules"]!.AsArray())!;
        Assert.Equal("/healthz", nonResource["nonResourceURLs"]![0]!.ToString());
        Assert.Equal("false", status["incomplete"]!.ToJsonString());

        var elsewhere = await api.SendAsync(HttpMethod.Post, RulesReviews, RulesReview("team-b"), "application/json", headers: Bearer("op-token"));
        Assert.DoesNotContain(elsewhere.Body!["status"]!["resourceRules"]!.AsArray(), r => r!["resources"]![0]!.ToString() == "repositoryforks");
    }

    [Fact]
    public async Task Self_subject_rules_review_under_allow_all_lists_every_resource_and_path()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var status = (await api.PostAsync(RulesReviews, RulesReview("default"))).Body!["status"]!;
        var rule = Assert.Single(status["resourceRules"]!.AsArray())!;
        Assert.Equal("""{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}""", rule.ToJsonString());
        Assert.Equal("""[{"verbs":["*"],"nonResourceURLs":["*"]}]""", status["nonResourceRules"]!.ToJsonString());
    }

    [Fact]
    public async Task Self_subject_rules_review_is_incomplete_when_a_deny_rule_applies()
    {
        await using var c = await TestCluster.StartAsync();
        c.Server.Access.Deny(new AccessRule(User: "system:admin", Verb: "delete"));
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal("true", (await api.PostAsync(RulesReviews, RulesReview("default"))).Body!["status"]!["incomplete"]!.ToJsonString());
    }

    [Fact]
    public async Task Self_subject_rules_review_without_a_namespace_is_400()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.PostAsync(RulesReviews, """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{}}""");
        Assert.Equal(HttpStatusCode.BadRequest, reply.Code);
        Assert.Equal("no namespace on request", reply.Str("message"));
    }

    [Theory]
    [InlineData("/apis/authentication.k8s.io/v1", "selfsubjectreviews", "SelfSubjectReview")]
    [InlineData("/apis/authorization.k8s.io/v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview")]
    public async Task Discovery_lists_the_self_review_as_a_create_only_cluster_resource(string groupVersion, string resource, string kind)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var entry = Assert.Single((await api.GetAsync(groupVersion)).Body!["resources"]!.AsArray(), r => r!["name"]!.ToString() == resource)!;
        Assert.Equal(kind, entry["kind"]!.ToString());
        Assert.False(entry["namespaced"]!.GetValue<bool>());
        Assert.Equal(["create"], entry["verbs"]!.AsArray().Select(v => v!.ToString()));
    }

    [Fact]
    public async Task Kubectl_auth_whoami_prints_the_user()
    {
        await using var k = await KubectlHarness.StartAsync();
        await ProtobufBodies.RequireAsync(k.Cluster);
        var output = await k.OkAsync("auth", "whoami");
        Assert.Matches(@"Username\s+system:admin", output);
        Assert.Matches(@"Groups\s+\[system:masters system:authenticated\]", output);
    }

    [Fact]
    public async Task Kubectl_auth_whoami_as_another_user_prints_that_user()
    {
        await using var k = await KubectlHarness.StartAsync();
        await ProtobufBodies.RequireAsync(k.Cluster);
        var output = await k.OkAsync("--as=alice", "--as-group=g", "auth", "whoami");
        Assert.Matches(@"Username\s+alice", output);
        Assert.Matches(@"Groups\s+\[g system:authenticated\]", output);
    }

    /// <summary>kubectl sends no bearer token over plain HTTP: it asks as the operator by impersonating it.</summary>
    private static AccessPolicy KubectlPolicy() => OperatorPolicy().Allow(new AccessRule(User: "system:admin", Verb: "impersonate"));

    [Fact]
    public async Task Kubectl_auth_can_i_list_prints_the_policys_rules()
    {
        await using var k = await KubectlHarness.StartAsync(new KubeApiServerOptions { Access = KubectlPolicy() });
        await ProtobufBodies.RequireAsync(k.Cluster);
        var output = await k.OkAsync("--as=operator", "--as-group=vers-operators", "auth", "can-i", "--list", "--namespace=team-a");
        Assert.Matches(@"repositoryforks\.vers\.sh\s+\[\]\s+\[\]\s+\[get\]", output);
        Assert.Matches(@"configmaps\s+\[\]\s+\[\]\s+\[list\]", output);
        Assert.Matches(@"\[/healthz\]\s+\[\]\s+\[get\]", output);
    }

    [Fact]
    public async Task Kubectl_auth_can_i_answers_from_the_policy()
    {
        await using var k = await KubectlHarness.StartAsync(new KubeApiServerOptions { Access = KubectlPolicy() });
        await ProtobufBodies.RequireAsync(k.Cluster);
        // A resource discovery knows: kubectl sends an unknown one as typed, with no group (cani.go resourceFor).
        Assert.Equal("yes", (await k.OkAsync("--as=operator", "--as-group=vers-operators", "auth", "can-i", "get", "leases.coordination.k8s.io", "--namespace=team-a")).Trim());
        var (code, stdout, _) = await k.RunAsync(null, "--as=operator", "auth", "can-i", "delete", "configmaps");
        Assert.Equal(1, code);
        Assert.Equal("no", stdout.Trim());
    }
}
