using System.Net;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// Every resource request is authorized (filters/authorization.go WithAuthorization) by the same policy the access
/// reviews answer from, with responsewriters.Forbidden's message; system:masters is allowed everything.
/// </summary>
public sealed class RequestAuthorizationTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    private const string ConfigMap = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}""";

    private static Dictionary<string, string> Bearer(string token) => new() { ["Authorization"] = $"Bearer {token}" };

    private static AccessPolicy Policy() => new AccessPolicy { AllowAll = false }
        .AddToken("reader", new TokenUser("reader"))
        .Allow(new AccessRule(User: "reader", Verb: "list", Resource: "configmaps", Namespace: "default"));

    [Fact]
    public async Task A_request_the_policy_does_not_allow_is_403_naming_user_verb_resource_and_namespace()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = Policy() });
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.SendAsync(HttpMethod.Post, ConfigMaps, ConfigMap, "application/json", headers: Bearer("reader"));
        Assert.Equal(HttpStatusCode.Forbidden, reply.Code);
        Assert.Equal("Forbidden", reply.Str("reason"));
        Assert.Equal("configmaps is forbidden: User \"reader\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\"", reply.Str("message"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"{ConfigMaps}/c")).Code);
    }

    [Fact]
    public async Task A_request_the_policy_allows_is_served()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = Policy() });
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, ConfigMaps, null, null, headers: Bearer("reader"))).Code);
    }

    [Fact]
    public async Task A_named_request_names_the_object_and_a_cluster_request_says_cluster_scope()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = Policy() });
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default", null, null, headers: Bearer("reader"));
        Assert.Equal(HttpStatusCode.Forbidden, reply.Code);
        Assert.Equal("namespaces \"default\" is forbidden: User \"reader\" cannot get resource \"namespaces\" in API group \"\" at the cluster scope", reply.Str("message"));
    }

    [Fact]
    public async Task The_cluster_admin_in_system_masters_passes_even_a_deny_rule()
    {
        var policy = Policy().Deny(new AccessRule(Verb: "create", Resource: "configmaps"));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy });
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(ConfigMaps, ConfigMap)).Code);
    }

    [Fact]
    public async Task Asking_about_oneself_needs_no_rule()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = Policy() });
        using var api = new RawApi(c.Server.BaseAddress);
        var reply = await api.SendAsync(HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", "application/json", headers: Bearer("reader"));
        Assert.Equal(HttpStatusCode.Created, reply.Code);
        Assert.Equal("reader", reply.Str("status", "userInfo", "username"));
    }
}
