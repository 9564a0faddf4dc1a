using static Vers.LocalCluster.ApiServer.Tests.Registry.Manifests;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Apps;

/// <summary>The status subresource (deploymentStatusStrategy) and generation tracking (deploymentStrategy.PrepareForUpdate).</summary>
public sealed class DeploymentStatusTests
{
    private const string Prefix = "Deployment.apps \"web\" is invalid: ";

    [Fact]
    public async Task Status_counts_cannot_exceed_status_replicas()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PatchAsync(Deployments + "/web/status", """{"status":{"replicas":1,"readyReplicas":2,"availableReplicas":2}}""");
        Assert.Equal(Prefix + "[status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas, status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas]",
            Invalid(r));
    }

    [Fact]
    public async Task Status_counts_cannot_be_negative()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PatchAsync(Deployments + "/web/status", """{"status":{"observedGeneration":-1}}""");
        Assert.Equal(Prefix + "status.observedGeneration: Invalid value: -1: must be greater than or equal to 0", Invalid(r));
    }

    [Fact]
    public async Task Collision_count_cannot_be_decremented()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        Assert.Equal("2", (await api.PatchAsync(Deployments + "/web/status", """{"status":{"collisionCount":2}}""")).Str("status", "collisionCount"));
        var r = await api.PatchAsync(Deployments + "/web/status", """{"status":{"collisionCount":1}}""");
        Assert.Equal(Prefix + "status.collisionCount: Invalid value: 1: cannot be decremented", Invalid(r));
    }

    [Fact]
    public async Task Status_is_not_validated_on_main_resource_writes()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PatchAsync(Deployments + "/web", """{"status":{"readyReplicas":-5},"spec":{"replicas":2}}""");
        Assert.Equal("2", r.Str("spec", "replicas"));
        Assert.Equal("{}", r.Body!["status"]!.ToJsonString());
    }

    [Fact]
    public async Task Annotation_change_bumps_the_generation()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PatchAsync(Deployments + "/web", """{"metadata":{"annotations":{"team":"web"}}}""");
        Assert.Equal("2", r.Str("metadata", "generation"));
    }

    [Fact]
    public async Task Status_write_keeps_the_generation()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PatchAsync(Deployments + "/web/status", """{"status":{"replicas":1}}""");
        Assert.Equal("1", r.Str("metadata", "generation"));
    }
}
