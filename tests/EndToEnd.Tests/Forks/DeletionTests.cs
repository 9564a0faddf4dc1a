using System.Text.Json.Nodes;
using Vers.Api;

namespace Vers.EndToEnd.Tests.Forks;

/// <summary>
/// Deleting what a fork made, with the real kubectl, as the README's "Deleting forks, repositories and commits" says:
/// a Commit a Tag points at stays (marked for deletion, with a CommitInUse event <c>kubectl describe</c> shows) until
/// the Tag is gone; deleting the Repository deletes its Tags, which releases the Commit; the VM stays.
/// </summary>
public sealed class DeletionTests(AllInOneFixture cluster)
{
    [Fact]
    public async Task A_tagged_commit_outlives_kubectl_delete_until_its_repository_and_tags_are_deleted()
    {
        if (Kubectl.Path is null)
        {
            Assert.Skip("kubectl is not installed on this machine");
        }

        var (status, body, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "node", source_tag = "latest", repo_name = "deleted-node" });
        Assert.True(status == 201, $"{status}: {body}");
        var commitId = (string)body!["commit_id"]!;
        var vmId = (string)body["vm_id"]!;
        var repository = VersNames.ToObjectName("deleted-node");
        var tag = VersNames.TagObjectName("deleted-node", "latest");

        await RunAsync("-n", "dev", "delete", "vcommit", commitId, "--wait=false");
        var kept = await GetAsync("-n", "dev", "vcommit", commitId);
        Assert.NotNull(kept["metadata"]!["deletionTimestamp"]);
        var described = await DescribeUntilAsync(commitId, "CommitInUse");
        Assert.Contains("deleted-node:latest", described, StringComparison.Ordinal);

        await RunAsync("-n", "dev", "delete", "vrepo", repository, "--timeout=30s");
        await RunAsync("-n", "dev", "wait", "--for=delete", $"vtag/{tag}", $"vcommit/{commitId}", "--timeout=30s");

        var vm = await GetAsync("-n", "dev", "vm", vmId);
        Assert.Null(vm["metadata"]!["deletionTimestamp"]);
    }

    /// <summary><c>kubectl describe vcommit</c> once it shows <paramref name="text"/> (Events are posted in the background).</summary>
    private async Task<string> DescribeUntilAsync(string commitId, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var described = await RunAsync("-n", "dev", "describe", "vcommit", commitId);
            if (described.Contains(text, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                return described;
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await Kubectl.RunAsync(cluster, args);
        Assert.True(exitCode == 0, $"kubectl {string.Join(' ', args)}: {stderr}");
        return stdout;
    }

    private async Task<JsonObject> GetAsync(params string[] args) => JsonNode.Parse(await RunAsync(["get", .. args, "-o", "json"]))!.AsObject();
}
