using System.Text.Json.Nodes;
using k8s.Models;

namespace Vers.EndToEnd.Tests.Storage;

/// <summary>
/// What a fork leaves in storage, seen with the real kubectl as a user of the all-in-one host would: the disks of a
/// cross-organisation fork are claims Bound to volumes at least as large as the source snapshot's restoreSize (which
/// the driver's rounding and CDI's filesystem overhead make larger than the source claim's request), and the new
/// commit's VolumeSnapshots are ready with their restoreSize.
/// </summary>
public sealed class ForkStorageTests(AllInOneFixture cluster)
{
    [Fact]
    public async Task A_cross_org_fork_leaves_bound_claims_and_ready_volume_snapshots_that_kubectl_shows()
    {
        if (Kubectl.Path is null)
        {
            Assert.Skip("kubectl is not installed on this machine");
        }

        var (status, body, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "node", source_tag = "latest", repo_name = "storage-node" });
        Assert.True(status == 201, $"{status}: {body}");
        var vmId = (string)body!["vm_id"]!;
        var commitId = (string)body["commit_id"]!;

        var claims = await GetAsync("pvc", "-n", "dev");
        var dataVolumes = await GetAsync("dv", "-n", "dev");
        var sourceSnapshots = await GetAsync("volumesnapshot", "-n", "vers");
        var commitSnapshots = await GetAsync("volumesnapshot", "-n", "dev");
        var commit = await GetAsync("vmsnapshot", commitId, "-n", "dev");

        var forkClaims = Items(claims).Where(c => ((string?)c["metadata"]!["name"])!.StartsWith(vmId, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(forkClaims);
        foreach (var claim in forkClaims)
        {
            var name = (string)claim["metadata"]!["name"]!;
            Assert.Equal("Bound", (string?)claim["status"]!["phase"]);

            // The DataVolume behind it asked for no size, or one no smaller than its source snapshot's restoreSize.
            var dv = Items(dataVolumes).Single(d => (string?)d["metadata"]!["name"] == name);
            Assert.Equal("Succeeded", (string?)dv["status"]!["phase"]);
            var sourceName = (string)dv["spec"]!["source"]!["snapshot"]!["name"]!;
            var source = Items(sourceSnapshots).Single(s => (string?)s["metadata"]!["name"] == sourceName);
            var restoreSize = Bytes(source["status"]!["restoreSize"]);
            Assert.True(restoreSize > 0, $"source VolumeSnapshot {sourceName} has no restoreSize");
            if (dv["spec"]!["storage"]?["resources"]?["requests"]?["storage"] is { } requested)
            {
                Assert.True(Bytes(requested) >= restoreSize, $"DataVolume {name} requests {requested}, below the snapshot's restoreSize {restoreSize}");
            }

            Assert.True(Bytes(claim["status"]!["capacity"]!["storage"]) >= restoreSize, $"claim {name} holds less than the snapshot it was restored from");
        }

        var contentName = (string)commit["status"]!["virtualMachineSnapshotContentName"]!;
        Assert.True((bool)commit["status"]!["readyToUse"]!);
        var ofCommit = Items(commitSnapshots).Where(s => (string?)s["metadata"]!["ownerReferences"]?[0]?["name"] == contentName).ToList();
        Assert.Equal(forkClaims.Count, ofCommit.Count);
        Assert.All(ofCommit, s =>
        {
            Assert.True((bool)s["status"]!["readyToUse"]!);
            Assert.True(Bytes(s["status"]!["restoreSize"]) > 0);
        });
    }

    private async Task<JsonObject> GetAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await Kubectl.RunAsync(cluster, ["get", .. args, "-o", "json"]);
        Assert.True(exitCode == 0, stderr);
        return JsonNode.Parse(stdout)!.AsObject();
    }

    private static IEnumerable<JsonObject> Items(JsonObject list) => list["items"]!.AsArray().OfType<JsonObject>();

    private static long Bytes(JsonNode? quantity) => (long)decimal.Ceiling(new ResourceQuantity(quantity!.ToString()).ToDecimal());
}
