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
