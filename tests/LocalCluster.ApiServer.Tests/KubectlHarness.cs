using System.Diagnostics;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// A fresh server plus the real /usr/bin/kubectl pointed at it, with its own kubeconfig and discovery cache
/// directory (a stale cache would hide new kinds).
/// </summary>
internal sealed class KubectlHarness : IAsyncDisposable
{
    public const string Kubectl = "/usr/bin/kubectl";
    private readonly string _dir = Directory.CreateTempSubdirectory("kubectl-test-").FullName;

    private KubectlHarness(TestCluster cluster)
    {
        Cluster = cluster;
        cluster.Server.WriteKubeconfig(Path.Combine(_dir, "kubeconfig"));
    }

    public TestCluster Cluster { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Skips the calling test (with the reason) where kubectl is not installed.</summary>
    public static async Task<KubectlHarness> StartAsync(Vers.LocalCluster.ApiServer.KubeApiServerOptions? options = null)
    {
        if (!File.Exists(Kubectl))
        {
            Assert.Skip($"{Kubectl} is not installed on this machine");
        }

        return new KubectlHarness(await TestCluster.StartAsync(options));
    }

    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vers.Operator.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    private ProcessStartInfo StartInfo(string[] args)
    {
        var psi = new ProcessStartInfo(Kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(Path.Combine(_dir, "kubeconfig"));
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(Path.Combine(_dir, "cache"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = _dir;
        return psi;
    }

    /// <summary>Starts a kubectl that keeps running (e.g. <c>get --watch</c>); the caller reads its output and kills it.</summary>
    public Process Start(params string[] args)
    {
        var p = Process.Start(StartInfo(args))!;
        p.StandardInput.Close();
        return p;
    }

    public async Task<(int Code, string Out, string Err)> RunAsync(string? stdin, params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
        }

        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(Ct);
        var stderr = p.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    public async Task<string> OkAsync(params string[] args) => await OkInAsync(null, args);

    public async Task<string> OkInAsync(string? stdin, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(stdin, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} failed ({code}): {stderr}\n{stdout}");
        return stdout;
    }

    /// <summary>Runs a command that must fail; returns its stderr.</summary>
    public async Task<string> FailsAsync(string? stdin, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(stdin, args);
        Assert.True(code != 0, $"kubectl {string.Join(' ', args)} unexpectedly succeeded: {stdout}");
        return stderr;
    }

    public string Manifest(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
