using System.Net;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>TokenReview and SubjectAccessReview: create-only, never stored, answered by <see cref="AccessPolicy"/>.</summary>
public sealed class ReviewsTests
{
    private const string TokenReviews = "/apis/authentication.k8s.io/v1/tokenreviews";
    private const string AccessReviews = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

    private static string AccessReview(string user, string verb, string resource, string ns = "default") => $$$"""
        {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"{{{user}}}",
         "resourceAttributes":{"verb":"{{{verb}}}","group":"vers.sh","resource":"{{{resource}}}","namespace":"{{{ns}}}"} } }
        """;

    [Fact]
    public async Task Token_review_authenticates_tokens_from_the_table_and_echoes_the_request()
    {
        var policy = new AccessPolicy().AddToken("t0k3n", new TokenUser("alice", "u-1", ["devs"]));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy });
        using var api = new RawApi(c.Server.BaseAddress);
        var ok = await api.PostAsync(TokenReviews, """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t0k3n","audiences":["vers"]}}""");
        Assert.Equal(HttpStatusCode.Created, ok.Code);
        Assert.Equal("t0k3n", ok.Str("spec", "token"));
        Assert.Equal("true", ok.Str("status", "authenticated"));
        Assert.Equal("alice", ok.Str("status", "user", "username"));
        Assert.Equal("devs", ok.Body!["status"]!["user"]!["groups"]![0]!.ToString());
        Assert.Equal("vers", ok.Body["status"]!["audiences"]![0]!.ToString());
        Assert.Null(ok.Str("metadata", "resourceVersion"));

        var bad = await api.PostAsync(TokenReviews, """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"nope"}}""");
        Assert.Equal("false", bad.Str("status", "authenticated"));
        Assert.NotNull(bad.Str("status", "error"));
    }

    [Fact]
    public async Task Reviews_are_create_only_and_never_stored()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await api.GetAsync(TokenReviews)).Code);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await api.GetAsync(AccessReviews)).Code);
        var discovery = await api.GetAsync("/apis/authorization.k8s.io/v1");
        var sar = Assert.Single(discovery.Body!["resources"]!.AsArray(), r => r!["name"]!.ToString() == "subjectaccessreviews")!;
        Assert.Equal(["create"], sar["verbs"]!.AsArray().Select(v => v!.ToString()));
    }

    [Fact]
    public async Task Subject_access_review_allows_all_by_default_and_the_deny_list_wins()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var allowed = await api.PostAsync(AccessReviews, AccessReview("bob", "create", "repositoryforks"));
        Assert.Equal(HttpStatusCode.Created, allowed.Code);
        Assert.Equal("true", allowed.Str("status", "allowed"));

        c.Server.Access.Deny(new AccessRule(User: "bob", Verb: "delete"));
        var denied = await api.PostAsync(AccessReviews, AccessReview("bob", "delete", "repositoryforks"));
        Assert.Equal("false", denied.Str("status", "allowed"));
        Assert.Equal("true", denied.Str("status", "denied"));
        Assert.Equal("true", (await api.PostAsync(AccessReviews, AccessReview("carol", "delete", "repositoryforks"))).Str("status", "allowed"));
    }

    [Fact]
    public async Task Allow_list_policy_allows_only_listed_requests()
    {
        await using var c = await TestCluster.StartAsync();
        c.Server.Access = new AccessPolicy { AllowAll = false }.Allow(new AccessRule(User: "operator", Group: "vers.sh", Resource: "repositoryforks"));
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal("true", (await api.PostAsync(AccessReviews, AccessReview("operator", "get", "repositoryforks"))).Str("status", "allowed"));
        var other = await api.PostAsync(AccessReviews, AccessReview("operator", "get", "tags"));
        Assert.Equal("false", other.Str("status", "allowed"));
        Assert.Null(other.Str("status", "denied"));
    }

    [Fact]
    public async Task Self_and_local_reviews_use_the_bearer_token_and_the_url_namespace()
    {
        var policy = new AccessPolicy { AllowAll = false }
            .AddToken("op-token", new TokenUser("system:serviceaccount:vers:operator"))
            .Allow(new AccessRule(User: "system:serviceaccount:vers:operator", Namespace: "team-a"));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy });
        using var api = new RawApi(c.Server.BaseAddress);
        const string self = """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","resource":"pods","namespace":"team-a"}}}""";
        var withToken = await api.SendAsync(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", self, "application/json", headers: new Dictionary<string, string> { ["Authorization"] = "Bearer op-token" });
        Assert.Equal("true", withToken.Str("status", "allowed"));
        var elsewhere = self.Replace("team-a", "team-b", StringComparison.Ordinal);
        Assert.Equal("false", (await api.SendAsync(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", elsewhere, "application/json", headers: new Dictionary<string, string> { ["Authorization"] = "Bearer op-token" })).Str("status", "allowed"));

        // Without a token the requester is the embedded admin, in system:masters: allowed everything, as upstream.
        Assert.Equal("true", (await api.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", elsewhere)).Str("status", "allowed"));

        const string local = """{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","spec":{"user":"system:serviceaccount:vers:operator","resourceAttributes":{"verb":"get","resource":"pods","namespace":"team-a"}}}""";
        Assert.Equal("true", (await api.PostAsync("/apis/authorization.k8s.io/v1/namespaces/team-a/localsubjectaccessreviews", local)).Str("status", "allowed"));
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsync("/apis/authorization.k8s.io/v1/namespaces/team-b/localsubjectaccessreviews", local)).Code);
    }
}
