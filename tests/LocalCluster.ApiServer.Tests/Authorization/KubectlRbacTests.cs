namespace Vers.LocalCluster.ApiServer.Tests.Authorization;

/// <summary>kubectl against a cluster with RBAC on: what `kubectl create role/rolebinding/...` grant is enforced and reviewed.</summary>
public sealed class KubectlRbacTests
{
    private static async Task<KubectlHarness> StartAsync()
    {
        var k = await KubectlHarness.StartAsync(new Vers.LocalCluster.ApiServer.KubeApiServerOptions { Access = Vers.LocalCluster.ApiServer.AccessPolicy.WithRbac() });
        await k.OkAsync("create", "namespace", "ns");
        await k.OkAsync("create", "namespace", "other");
        await k.OkAsync("create", "configmap", "cm", "-n", "ns", "--from-literal=a=b");
        await k.OkAsync("create", "configmap", "cm", "-n", "other", "--from-literal=a=b");
        return k;
    }

    private static async Task<KubectlHarness> WithAliceReadingConfigMapsInNsAsync()
    {
        var k = await StartAsync();
        await k.OkAsync("create", "role", "r", "--verb=get,list", "--resource=configmaps", "-n", "ns");
        await k.OkAsync("create", "rolebinding", "rb", "--role=r", "--user=alice", "-n", "ns");
        return k;
    }

    [Fact]
    public async Task A_user_bound_to_a_role_lists_configmaps_in_its_namespace()
    {
        await using var k = await WithAliceReadingConfigMapsInNsAsync();
        Assert.Contains("cm", await k.OkAsync("--as=alice", "get", "configmaps", "-n", "ns"));
    }

    [Fact]
    public async Task A_user_bound_to_a_role_is_forbidden_in_another_namespace()
    {
        await using var k = await WithAliceReadingConfigMapsInNsAsync();
        var stderr = await k.FailsAsync(null, "--as=alice", "get", "configmaps", "-n", "other");
        Assert.Equal("Error from server (Forbidden): configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"other\"", stderr.Trim());
    }

    [Fact]
    public async Task Auth_can_i_answers_yes_where_the_role_is_bound_and_no_elsewhere()
    {
        await using var k = await WithAliceReadingConfigMapsInNsAsync();
        Assert.Equal("yes", (await k.OkAsync("auth", "can-i", "list", "configmaps", "--as=alice", "-n", "ns")).Trim());
        var (code, stdout, _) = await k.RunAsync(null, "auth", "can-i", "list", "configmaps", "--as=alice", "-n", "other");
        Assert.Equal((1, "no"), (code, stdout.Trim()));
    }

    [Fact]
    public async Task A_user_may_not_write_what_the_role_only_lets_it_read()
    {
        await using var k = await WithAliceReadingConfigMapsInNsAsync();
        var stderr = await k.FailsAsync(null, "--as=alice", "delete", "configmap", "cm", "-n", "ns");
        Assert.Contains("configmaps \"cm\" is forbidden: User \"alice\" cannot delete resource \"configmaps\" in API group \"\" in the namespace \"ns\"", stderr);
    }

    [Fact]
    public async Task A_service_account_bound_to_a_role_reads_configmaps()
    {
        await using var k = await StartAsync();
        await k.OkAsync("create", "serviceaccount", "builder", "-n", "ns");
        await k.OkAsync("create", "role", "r", "--verb=get,list", "--resource=configmaps", "-n", "ns");
        await k.OkAsync("create", "rolebinding", "rb", "--role=r", "--serviceaccount=ns:builder", "-n", "ns");
        Assert.Contains("cm", await k.OkAsync("--as=system:serviceaccount:ns:builder", "get", "configmaps", "-n", "ns"));
        Assert.Equal("no", (await k.RunAsync(null, "auth", "can-i", "list", "configmaps", "--as=system:serviceaccount:ns:other", "-n", "ns")).Out.Trim());
    }

    [Fact]
    public async Task A_cluster_role_binding_grants_in_every_namespace()
    {
        await using var k = await StartAsync();
        await k.OkAsync("create", "clusterrole", "cm-reader", "--verb=get,list", "--resource=configmaps");
        await k.OkAsync("create", "clusterrolebinding", "crb", "--clusterrole=cm-reader", "--user=bob");
        Assert.Contains("cm", await k.OkAsync("--as=bob", "get", "configmaps", "-n", "other"));
        Assert.Contains("cm", await k.OkAsync("--as=bob", "get", "configmaps", "-A"));
        Assert.Equal("no", (await k.RunAsync(null, "auth", "can-i", "delete", "configmaps", "--as=bob", "-n", "ns")).Out.Trim());
    }

    [Fact]
    public async Task Auth_can_i_list_shows_the_bound_rules()
    {
        await using var k = await WithAliceReadingConfigMapsInNsAsync();
        var table = await k.OkAsync("auth", "can-i", "--list", "--as=alice", "-n", "ns");
        Assert.Matches(@"(?m)^configmaps\s+\[\]\s+\[\]\s+\[get list\]", table);
        Assert.Matches(@"(?m)^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]", table);
    }

    [Fact]
    public async Task Auth_can_i_list_shows_the_admin_everything()
    {
        await using var k = await StartAsync();
        Assert.Matches(@"(?m)^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]", await k.OkAsync("auth", "can-i", "--list", "-n", "ns"));
    }
}
