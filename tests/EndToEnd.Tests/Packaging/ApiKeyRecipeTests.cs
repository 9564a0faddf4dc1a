using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>The README's "API key with kubectl alone" recipe (also in NOTES.txt) makes a key the fork API accepts.</summary>
public sealed partial class ApiKeyRecipeTests(AllInOneFixture cluster)
{
    [Fact]
    public async Task The_kubectl_only_key_recipe_creates_a_key_that_can_fork()
    {
        if (Kubectl.Path is null || !File.Exists("/bin/bash") || !OnPath("openssl") || !OnPath("sha256sum"))
        {
            Assert.Skip("the recipe needs bash, kubectl, openssl and sha256sum");
        }

        var readme = await File.ReadAllTextAsync(Path.Combine(SamplesTests.RepositoryRoot(), "README.md"), TestContext.Current.CancellationToken);
        var recipe = Recipe().Match(readme).Groups[1].Value.Replace("acme", "dev", StringComparison.Ordinal);
        Assert.Contains("kubectl -n vers-system apply", recipe, StringComparison.Ordinal);

        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-euo");
        start.ArgumentList.Add("pipefail");
        start.Environment["KUBECONFIG"] = cluster.KubeconfigPath;
        start.Environment["KUBECACHEDIR"] = cluster.KubectlCacheDir;
        using var bash = Process.Start(start)!;
        await bash.StandardInput.WriteAsync(recipe);
        bash.StandardInput.Close();
        var stdout = await bash.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = await bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await bash.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(bash.ExitCode == 0, stderr);
        var key = stdout.Trim().Split('\n')[^1];
        Assert.Matches("^[0-9a-f-]{36}[0-9a-f]{64}$", key);

        // The shim's informer sees the new Secret within moments.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        int status;
        while ((status = (await cluster.ForkAsync(new { source_org = "vers", source_repo = "go", source_tag = "latest", repo_name = "go-from-recipe-key" }, key)).Status) == 401
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal(201, status);
    }

    [Fact]
    public async Task Notes_render_with_the_same_key_recipe_as_the_readme()
    {
        ChartTests.SkipWithoutHelm();

        // helm template does not render NOTES.txt; a client-side dry-run install against LocalCluster does. It maps
        // every object through discovery, so it runs on a copy of the chart that keeps only NOTES.txt and the helpers.
        var chart = Directory.CreateTempSubdirectory("vers-notes-").FullName;
        File.Copy(Path.Combine(Helm.ChartPath, "Chart.yaml"), Path.Combine(chart, "Chart.yaml"));
        File.Copy(Path.Combine(Helm.ChartPath, "values.yaml"), Path.Combine(chart, "values.yaml"));
        Directory.CreateDirectory(Path.Combine(chart, "templates"));
        foreach (var file in new[] { "NOTES.txt", "_helpers.tpl" })
        {
            File.Copy(Path.Combine(Helm.ChartPath, "templates", file), Path.Combine(chart, "templates", file));
        }

        var (exit, stdout, stderr) = await Helm.RunAsync(
            "install", "vers", chart, "--namespace", Helm.ReleaseNamespace, "--dry-run=client", "--kubeconfig", cluster.KubeconfigPath);
        Directory.Delete(chart, recursive: true);
        Assert.True(exit == 0, stderr);
        var notes = stdout[stdout.IndexOf("NOTES:", StringComparison.Ordinal)..];

        var readme = await File.ReadAllTextAsync(Path.Combine(SamplesTests.RepositoryRoot(), "README.md"), TestContext.Current.CancellationToken);
        var recipe = Recipe().Match(readme).Groups[1].Value;
        Assert.Contains(recipe.Trim(), notes, StringComparison.Ordinal);
        Assert.Contains("kubectl -n vers-system port-forward svc/vers-api-shim 8080:80", notes, StringComparison.Ordinal);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

    [GeneratedRegex(@"<!-- key-recipe:start -->\s*```bash\n(.*?)```\s*<!-- key-recipe:end -->", RegexOptions.Singleline)]
    private static partial Regex Recipe();
}
