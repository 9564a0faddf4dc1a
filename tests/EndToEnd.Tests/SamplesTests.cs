namespace Vers.EndToEnd.Tests;

/// <summary>config/samples as a user would use them: kubectl apply into an org namespace, then wait.</summary>
public sealed class SamplesTests(AllInOneFixture cluster)
{
    [Fact]
    public async Task Applying_the_samples_with_kubectl_makes_every_fork_and_repository_ready()
    {
        if (Kubectl.Path is null)
        {
            Assert.Skip("kubectl is not installed on this machine");
        }

        var samples = Path.Combine(RepositoryRoot(), "config", "samples");

        var apply = await Kubectl.RunAsync(cluster, "apply", "-n", "dev", "-f", samples);
        var wait = await Kubectl.RunAsync(
            cluster, "wait", "-n", "dev", "--for=condition=Ready", "--timeout=30s",
            "repositoryfork/fork-node", "repositoryfork/fork-devbox-copy", "repository/toolbox");
        var forks = await Kubectl.RunAsync(cluster, "get", "rfork", "-n", "dev", "fork-node", "fork-devbox-copy");
        var ready = await Kubectl.RunAsync(
            cluster, "get", "rfork", "-n", "dev", "fork-node", "-o", """jsonpath={.status.conditions[?(@.type=="Ready")].reason}""");

        Assert.True(apply.ExitCode == 0, apply.Stderr);
        Assert.Contains("repositoryfork.vers.sh/fork-node created", apply.Stdout, StringComparison.Ordinal);
        Assert.True(wait.ExitCode == 0, wait.Stderr + wait.Stdout);
        Assert.Equal(3, wait.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith("condition met", StringComparison.Ordinal)));
        Assert.True(forks.ExitCode == 0, forks.Stderr);
        Assert.Matches(@"fork-node\s+vers/node:latest\s+my-node:v1\s+Succeeded", forks.Stdout);
        Assert.Matches(@"fork-devbox-copy\s+dev/devbox:latest\s+devbox-copy:latest\s+Succeeded", forks.Stdout);
        Assert.True(ready.ExitCode == 0, ready.Stderr);
        Assert.Equal("Succeeded", ready.Stdout.Trim());
    }

    /// <summary>What <c>kubectl describe rfork</c> shows of a finished fork: its Created and Succeeded Events (posted in the background).</summary>
    [Fact]
    public async Task Kubectl_describe_shows_a_forks_Created_and_Succeeded_events()
    {
        if (Kubectl.Path is null)
        {
            Assert.Skip("kubectl is not installed on this machine");
        }

        var manifest = Path.Combine(Path.GetTempPath(), $"described-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: vers.sh/v1alpha1
            kind: RepositoryFork
            metadata:
              name: described
            spec:
              sourceOrg: vers
              sourceRepo: node
              sourceTag: latest
              repoName: described-node
            """, TestContext.Current.CancellationToken);
        try
        {
            Assert.Equal(0, (await Kubectl.RunAsync(cluster, "apply", "-n", "dev", "-f", manifest)).ExitCode);
            var wait = await Kubectl.RunAsync(cluster, "wait", "-n", "dev", "--for=condition=Ready", "--timeout=30s", "repositoryfork/described");
            Assert.True(wait.ExitCode == 0, wait.Stderr);

            var described = "";
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (!(described.Contains("Succeeded", StringComparison.Ordinal) && described.Contains("Created", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                described = (await Kubectl.RunAsync(cluster, "describe", "rfork", "-n", "dev", "described")).Stdout;
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            var events = described[described.IndexOf("Events:", StringComparison.Ordinal)..];
            Assert.Matches(@"Normal\s+Created\s+.*vers\.sh/operator\s+Forking vers/node:latest into described-node:latest", events);
            Assert.Matches(@"Normal\s+Succeeded\s+.*vers\.sh/operator\s+Forked vers/node:latest into described-node:latest", events);
        }
        finally
        {
            File.Delete(manifest);
        }
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vers.Operator.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (Vers.Operator.sln) not found");
    }
}
