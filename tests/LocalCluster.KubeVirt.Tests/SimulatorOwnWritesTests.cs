using System.Text.Json.Nodes;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>
/// The simulator reads through its own writes (<c>ReadYourWrites</c>, whose rules are tested in Vers.Kube.Tests): a
/// step that follows its own write acts on what the write returned. Its informers are not started until the end here,
/// so the caches lag every write.
/// </summary>
public sealed class SimulatorOwnWritesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Its_own_create_and_patch_are_read_until_the_informer_delivers_them()
    {
        await using var c = await SimulatorCaches.StartAsync();
        var ctx = c.Context;
        var created = await ctx.CreateOrGetAsync(T.StorageClass, new JsonObject
        {
            ["apiVersion"] = T.StorageClass.ApiVersion,
            ["kind"] = T.StorageClass.Kind,
            ["metadata"] = new JsonObject { ["name"] = "fast" },
            ["provisioner"] = "example.com/csi",
        }, Ct);

        // Cluster-scoped: whatever namespace a lookup names.
        Assert.Equal(created.Metadata.ResourceVersion, ctx.Get(T.StorageClass, "any", "fast")?.Metadata.ResourceVersion);

        var patched = await ctx.PatchAsync(T.StorageClass, created, new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["tier"] = "gold" } },
        }, Ct);
        var newest = ctx.Newest(T.StorageClass, created);

        Assert.Equal(patched.Metadata.ResourceVersion, newest.Metadata.ResourceVersion);
        Assert.Equal("gold", newest.Metadata.Labels["tier"]);
        Assert.Null(ctx.StorageClasses.Get(null, "fast"));

        await c.SyncAsync();
        Assert.Same(ctx.StorageClasses.Get(null, "fast"), ctx.Get(T.StorageClass, null, "fast"));
    }
}
