using System.Net;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.ApiServer.Tests.Admission;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Impersonate-* headers (kubectl --as, --as-group, --as-uid), honoured as filters/impersonation.go does.</summary>
public sealed class ImpersonationTests
{
    private const string SelfReviews = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    private const string SelfReview = """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""";

    /// <summary>User "x" may read configmaps but impersonate no one.</summary>
    private static AccessPolicy ReaderPolicy() => new AccessPolicy { AllowAll = false }
        .AddToken("x-token", new TokenUser("x"))
        .Allow(new AccessRule(User: "x", Verb: "get", Resource: "configmaps"))
        .Allow(new AccessRule(User: "x", Verb: "list", Resource: "configmaps"));

    private static async Task<RawResponse> AsAsync(RawApi api, params (string Header, string Value)[] headers) =>
        await api.SendAsync(HttpMethod.Post, SelfReviews, SelfReview, "application/json", headers: headers.ToDictionary(h => h.Header, h => h.Value));

    [Fact]
    public async Task Kubectl_as_runs_the_request_as_the_impersonated_user_and_groups()
    {
        await using var k = await KubectlHarness.StartAsync();
        var plugin = RecordingPlugin.Validator("who.example.com", handles: RecordingPlugin.On("configmaps"));
        k.Cluster.Server.Admission.Register(plugin);
        await k.OkInAsync("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"mine"}}""", "--as=alice", "--as-group=g", "apply", "-f", "-");
        var user = Assert.Single(plugin.Calls).User;
        Assert.Equal("alice", user.Username);
        Assert.Equal(["g", "system:authenticated"], user.Groups);
    }

    [Fact]
    public async Task Kubectl_as_a_user_the_policy_allows_nothing_is_forbidden_as_that_user()
    {
        // kubectl sends no bearer token over plain HTTP, so the requester is the embedded admin (system:masters: it may
        // impersonate anyone); the request then runs as alice and is authorised as her. The first command fills
        // kubectl's discovery cache: without it kubectl has only "unknown" to print, as against a real cluster.
        await using var k = await KubectlHarness.StartAsync(new KubeApiServerOptions { Access = new AccessPolicy { AllowAll = false } });
        await k.OkAsync("get", "configmaps");
        var stderr = await k.FailsAsync(null, "--as=alice", "get", "configmaps");
        const string Expected = "Error from server (Forbidden): configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"";
        Assert.True(stderr.Contains(Expected, StringComparison.Ordinal), stderr);
    }

    [Fact]
    public async Task Kubectl_as_runs_with_the_impersonated_users_rights()
    {
        var policy = new AccessPolicy { AllowAll = false }.Allow(new AccessRule(User: "alice", Verb: "list", Resource: "namespaces", Group: ""));
        await using var k = await KubectlHarness.StartAsync(new KubeApiServerOptions { Access = policy });
        Assert.Contains("namespace/default", await k.OkAsync("--as=alice", "get", "namespaces", "-o", "name"));
        var stderr = await k.FailsAsync(null, "--as=bob", "get", "namespaces");
        Assert.Contains("namespaces is forbidden: User \"bob\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope", stderr);
    }

    [Fact]
    public async Task Impersonation_is_refused_as_a_Forbidden_status_naming_the_user()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = ReaderPolicy() });
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await AsAsync(api, ("Authorization", "Bearer x-token"), ("Impersonate-User", "alice"));
        Assert.Equal(HttpStatusCode.Forbidden, reply.Code);
        Assert.Equal("Forbidden", reply.Str("reason"));
        Assert.Equal("alice", reply.Str("details", "name"));
        Assert.Equal("users", reply.Str("details", "kind"));
    }

    [Fact]
    public async Task Impersonating_a_group_needs_impersonate_on_that_group()
    {
        var policy = ReaderPolicy().Allow(new AccessRule(User: "x", Verb: "impersonate", Resource: "users"));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy });
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.Created, (await AsAsync(api, ("Authorization", "Bearer x-token"), ("Impersonate-User", "alice"))).Code);
        var reply = await AsAsync(api, ("Authorization", "Bearer x-token"), ("Impersonate-User", "alice"), ("Impersonate-Group", "admins"));
        Assert.Equal(HttpStatusCode.Forbidden, reply.Code);
        Assert.Equal("groups \"admins\" is forbidden: User \"x\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope", reply.Str("message"));
    }

    [Fact]
    public async Task Self_subject_review_answers_for_the_impersonated_user_uid_and_extra()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await AsAsync(api, ("Impersonate-User", "alice"), ("Impersonate-Uid", "u-9"), ("Impersonate-Extra-Scopes", "read"));
        var info = reply.Body!["status"]!["userInfo"]!;
        Assert.Equal("alice", info["username"]!.ToString());
        Assert.Equal("u-9", info["uid"]!.ToString());
        Assert.Equal(["system:authenticated"], info["groups"]!.AsArray().Select(g => g!.ToString()));
        Assert.Equal("read", info["extra"]!["scopes"]![0]!.ToString());
    }

    [Fact]
    public async Task Impersonating_a_service_account_gives_it_the_service_account_groups()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var info = (await AsAsync(api, ("Impersonate-User", "system:serviceaccount:vers:operator"))).Body!["status"]!["userInfo"]!;
        Assert.Equal("system:serviceaccount:vers:operator", info["username"]!.ToString());
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:vers", "system:authenticated"], info["groups"]!.AsArray().Select(g => g!.ToString()));
    }

    [Fact]
    public async Task Impersonating_a_service_account_is_authorized_on_serviceaccounts_in_its_namespace()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = ReaderPolicy() });
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await AsAsync(api, ("Authorization", "Bearer x-token"), ("Impersonate-User", "system:serviceaccount:vers:operator"));
        Assert.Equal("serviceaccounts \"operator\" is forbidden: User \"x\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"vers\"", reply.Str("message"));
    }

    [Fact]
    public async Task Self_subject_access_review_answers_for_the_impersonated_user()
    {
        await using var c = await TestCluster.StartAsync();
        c.Server.Access.Deny(new AccessRule(User: "alice", Verb: "delete"));
        using var api = new RawApi(c.Server.BaseAddress);
        const string review = """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"delete","resource":"configmaps","namespace":"default"}}}""";
        var asAlice = await api.SendAsync(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review, "application/json", headers: new Dictionary<string, string> { ["Impersonate-User"] = "alice" });
        Assert.Equal("false", asAlice.Str("status", "allowed"));
        Assert.Equal("true", (await api.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review)).Str("status", "allowed"));
    }

    [Fact]
    public async Task Impersonating_a_group_without_a_user_is_an_internal_error()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.SendAsync(HttpMethod.Get, "/api/v1/namespaces", null, null, headers: new Dictionary<string, string> { ["Impersonate-Group"] = "g" });
        Assert.Equal(HttpStatusCode.InternalServerError, reply.Code);
        Assert.Equal("Internal Server Error: \"/api/v1/namespaces\": requested [{Group  g    }] without impersonating a user\n", reply.Text);
    }
}
