namespace Vers.EndToEnd.Tests;

/// <summary>The all-in-one host as a user meets it: readiness on both listeners, kubectl with the kubeconfig it wrote.</summary>
public sealed class HostTests(AllInOneFixture cluster)
{
    [Fact]
    public async Task Both_listeners_answer_readyz_with_200_once_everything_is_ready()
    {
        using var kube = new HttpClient { BaseAddress = cluster.Host.KubeApi.BaseAddress };

        var api = await cluster.Http.GetAsync("readyz", TestContext.Current.CancellationToken);
        var kubeApi = await kube.GetAsync("readyz", TestContext.Current.CancellationToken);

        Assert.Equal(200, (int)api.StatusCode);
        Assert.Equal(200, (int)kubeApi.StatusCode);
    }

    [Fact]
    public async Task The_fork_API_listener_serves_the_operators_metrics_with_controller_runtime_names()
    {
        var (status, _, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "node", source_tag = "latest", repo_name = "node-for-metrics" });
        Assert.Equal(201, status);

        var metrics = await cluster.Http.GetStringAsync("metrics", TestContext.Current.CancellationToken);

        Assert.Contains("controller_runtime_reconcile_total{controller=\"repositoryfork\",result=", metrics, StringComparison.Ordinal);
        Assert.Contains("workqueue_depth{name=\"repositoryfork\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("vers_forks_total{result=\"succeeded\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("vers_fork_duration_seconds_bucket{result=\"succeeded\",le=", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_with_the_written_kubeconfig_lists_the_forks_with_their_columns()
    {
        if (Kubectl.Path is null)
        {
            Assert.Skip("kubectl is not installed on this machine");
        }

        var (status, body, _) = await cluster.ForkAsync(new { source_org = "vers", source_repo = "node", source_tag = "latest", repo_name = "node-for-kubectl" });
        Assert.Equal(201, status);

        var (exit, stdout, stderr) = await Kubectl.RunAsync(cluster, "get", "repositoryforks", "-A");

        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAMESPACE\s+NAME\s+SOURCE\s+REFERENCE\s+PHASE\s+VM\s+COMMIT\s+AGE", lines[0]);
        Assert.Contains(lines, l => l.Contains("node-for-kubectl:latest", StringComparison.Ordinal)
            && l.Contains("Succeeded", StringComparison.Ordinal)
            && l.Contains((string)body!["vm_id"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kubectl_get_vers_lists_every_vers_kind_across_namespaces()
    {
        if (Kubectl.Path is null)
        {
            Assert.Skip("kubectl is not installed on this machine");
        }

        var (exit, stdout, stderr) = await Kubectl.RunAsync(cluster, "get", "vers", "-A");

        Assert.True(exit == 0, stderr);
        Assert.Contains("repository.vers.sh/node", stdout, StringComparison.Ordinal);
        Assert.Contains("tag.vers.sh/node.latest", stdout, StringComparison.Ordinal);
        Assert.Contains("commit.vers.sh/", stdout, StringComparison.Ordinal);
    }
}
