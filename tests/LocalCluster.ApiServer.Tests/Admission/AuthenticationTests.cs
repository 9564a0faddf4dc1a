using System.Net;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.ApiServer.Admission;

namespace Vers.LocalCluster.ApiServer.Tests.Admission;

/// <summary>
/// Request authentication as kube-apiserver's filter does it with a token authenticator: a known bearer token is its
/// user, an unknown one is 401 on every path, and a request without credentials is the embedded cluster's admin.
/// The user is observed where the pipeline hands it on: to admission plugins and to self access reviews.
/// </summary>
public sealed class AuthenticationTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    private const string Body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}}""";

    private static Dictionary<string, string> Bearer(string token) => new() { ["Authorization"] = $"Bearer {token}" };

    [Fact]
    public async Task An_unknown_bearer_token_is_401_Unauthorized()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var refused = await api.SendAsync(HttpMethod.Get, ConfigMaps, null, null, headers: Bearer("nobody-knows-me"));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Code);
        var expected = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""";
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), refused.Body), refused.Text);
    }

    [Theory]
    [InlineData("/version")]
    [InlineData("/api")]
    [InlineData("/apis/storage.k8s.io/v1/storageclasses")]
    public async Task An_unknown_bearer_token_is_refused_on_every_path(string path)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var refused = await api.SendAsync(HttpMethod.Get, path, null, null, headers: Bearer("nobody-knows-me"));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Code);
    }

    [Fact]
    public async Task A_request_without_credentials_is_the_cluster_admin()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("who.example.com");
        c.Server.Admission.Register(plugin);

        await api.PostAsync(ConfigMaps, Body);

        var user = plugin.Calls.Single().User;
        Assert.Equal("system:admin", user.Username);
        Assert.Equal(["system:masters", "system:authenticated"], user.Groups);
    }

    [Fact]
    public async Task A_known_bearer_token_is_its_user_with_system_authenticated()
    {
        var policy = new AccessPolicy().AddToken("op-token", new TokenUser("system:serviceaccount:vers:operator", "uid-1", ["system:serviceaccounts"]));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy });
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("who.example.com");
        c.Server.Admission.Register(plugin);

        var created = await api.SendAsync(HttpMethod.Post, ConfigMaps, Body, "application/json", headers: Bearer("op-token"));

        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Equal(new AdmissionUser("system:serviceaccount:vers:operator", ["system:serviceaccounts", "system:authenticated"], "uid-1").ToString(), plugin.Calls.Single().User.ToString());
        Assert.Equal(["system:serviceaccounts", "system:authenticated"], plugin.Calls.Single().User.Groups);
    }

    [Fact]
    public async Task An_authorization_header_that_is_not_a_bearer_token_is_no_credential()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("who.example.com");
        c.Server.Admission.Register(plugin);

        var created = await api.SendAsync(HttpMethod.Post, ConfigMaps, Body, "application/json", headers: new Dictionary<string, string> { ["Authorization"] = "Basic dXNlcjpwdw==" });

        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Equal("system:admin", plugin.Calls.Single().User.Username);
    }

    [Fact]
    public async Task A_self_subject_access_review_asks_about_the_authenticated_user()
    {
        var policy = new AccessPolicy { AllowAll = false }
            .AddToken("admin-ish", new TokenUser("alice"))
            .Allow(new AccessRule(User: "system:masters"));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy });
        using var api = new RawApi(c.Server.BaseAddress);
        const string self = """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","resource":"pods","namespace":"default"}}}""";

        var asAdmin = await api.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", self);
        var asAlice = await api.SendAsync(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", self, "application/json", headers: Bearer("admin-ish"));

        Assert.Equal("true", asAdmin.Str("status", "allowed"));
        Assert.Equal("false", asAlice.Str("status", "allowed"));
    }
}
