namespace Vers.LocalCluster.ApiServer.Tests.Registry;

/// <summary>A fresh server and a raw client for the registry tests, disposed together.</summary>
internal sealed class RegistryApi : IAsyncDisposable
{
    public const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    public const string Secrets = "/api/v1/namespaces/default/secrets";
    public const string Services = "/api/v1/namespaces/default/services";
    public const string Namespaces = "/api/v1/namespaces";
    public const string CoreEvents = "/api/v1/namespaces/default/events";
    public const string Leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
    public const string Roles = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles";
    public const string ClusterRoles = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
    public const string RoleBindings = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings";
    public const string ClusterRoleBindings = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

    private RegistryApi(TestCluster cluster)
    {
        Cluster = cluster;
        Raw = new RawApi(cluster.Server.BaseAddress);
    }

    public TestCluster Cluster { get; }

    public RawApi Raw { get; }

    public static async Task<RegistryApi> StartAsync() => new(await TestCluster.StartAsync());

    public Task<RawResponse> PostAsync(string path, string body) => Raw.PostAsync(path, body);

    /// <summary>A POST that must fail with <paramref name="code"/>; returns the Status message.</summary>
    public async Task<string> FailsAsync(string path, string body, int code = 422)
    {
        var r = await Raw.PostAsync(path, body);
        Assert.True((int)r.Code == code, $"expected {code}, got {(int)r.Code}: {r.Text}");
        return r.Str("message")!;
    }

    public async Task<RawResponse> CreatedAsync(string path, string body)
    {
        var r = await Raw.PostAsync(path, body);
        Assert.True(r.Code == System.Net.HttpStatusCode.Created, r.Text);
        return r;
    }

    public async ValueTask DisposeAsync()
    {
        Raw.Dispose();
        await Cluster.DisposeAsync();
    }
}
