using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Vers.EndToEnd.Tests.Packaging;
using Xunit.Sdk;

namespace Vers.EndToEnd.Tests.Conformance;

/// <summary>What one kubectl or Helm run answered.</summary>
public sealed record CommandResult(string CommandLine, int Exit, string Stdout, string Stderr)
{
    /// <summary>The first line the command printed on stderr, else on stdout.</summary>
    public string FirstLine =>
        (Stderr.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("Warning:", StringComparison.Ordinal))
            ?? Stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0)) ?? "(no output)";
}

/// <summary>How a conformance case ended, and what we answered when it did not behave as the real API server.</summary>
public sealed record CaseResult(string Outcome, string Ours);

/// <summary>
/// The all-in-one host as a user starts it (the built program, seeded, with the README's dev key) in a working directory
/// of its own: it writes <c>.vers/kubeconfig</c> there, and <c>charts</c> there links to the repository's charts, so
/// README commands run there as written. Shared by the conformance cases, which run the real kubectl and Helm against
/// it; collects each case's result and, with <c>VERS_CONFORMANCE_TABLE</c> set, writes the conformance table at the end.
/// </summary>
public sealed class ConformanceHost : IAsyncLifetime
{
    public const string Namespace = "conformance";
    public const string DevApiKey = "vers-dev-key-0123456789";

    private readonly ConcurrentDictionary<string, CaseResult> _results = new(StringComparer.Ordinal);
    private readonly StringBuilder _hostOutput = new();
    private Process? _host;

    public string WorkDir { get; } = Directory.CreateTempSubdirectory("vers-conformance-").FullName;

    public string KubeconfigPath => Path.Combine(WorkDir, ".vers", "kubeconfig");

    public Uri KubeApi { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The last kubectl or Helm run of the case in progress (cases run one at a time).</summary>
    public CommandResult? Last { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Directory.CreateSymbolicLink(Path.Combine(WorkDir, "charts"), Path.Combine(SamplesTests.RepositoryRoot(), "charts"));
        var kubePort = FreePort();
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Vers.LocalCluster"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = WorkDir,
        };
        foreach (var arg in new[]
                 {
                     "--dev-api-key", DevApiKey, "--listen", $"http://127.0.0.1:{FreePort()}", "--metrics-listen", "off",
                     "--kube-listen", $"http://127.0.0.1:{kubePort}",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        _host = Process.Start(start)!;
        _host.OutputDataReceived += (_, e) => Append(e.Data);
        _host.ErrorDataReceived += (_, e) => Append(e.Data);
        _host.BeginOutputReadLine();
        _host.BeginErrorReadLine();

        KubeApi = new Uri($"http://127.0.0.1:{kubePort}/");
        Http = new HttpClient { BaseAddress = KubeApi, Timeout = TimeSpan.FromSeconds(60) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            if (_host.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the host did not become ready (exited: {_host.HasExited}):\n{HostOutput}");
            }

            try
            {
                if ((await Http.GetAsync("readyz")).StatusCode == HttpStatusCode.OK && File.Exists(KubeconfigPath))
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        // The namespace the kubectl cases work in, made without kubectl so that no case depends on another.
        await SendAsync(HttpMethod.Post, "api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{Namespace}}}"}}""");
    }

    public async ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("VERS_CONFORMANCE_TABLE") is { Length: > 0 } target)
        {
            // Relative to the repository root, as the variable is documented (docs/api-conformance.md).
            var path = Path.IsPathRooted(target) ? target : Path.Combine(SamplesTests.RepositoryRoot(), target);
            // While the host still runs: the kubectl dispatcher asks the server's version before it picks a kubectl.
            var tools = $"kubectl {await VersionAsync(Kubectl.Path, "version", "--client", "-o", "yaml")}, Helm {await VersionAsync(Helm.Path, "version", "--short")}";
            await File.WriteAllTextAsync(path, ConformanceTable.Render(ConformanceAttribute.Of(typeof(KubectlHelmConformanceTests)), _results, tools));
        }

        if (_host is not null)
        {
            _host.Kill(entireProcessTree: true);
            await _host.WaitForExitAsync();
            _host.Dispose();
        }

        Http?.Dispose();

        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    public string HostOutput
    {
        get
        {
            lock (_hostOutput)
            {
                return _hostOutput.ToString();
            }
        }
    }

    /// <summary>
    /// Runs one case: records whether it behaved as the real API server (and, when not, the first line of the failure,
    /// which names what we answered), then lets the outcome through to xunit.
    /// </summary>
    public async Task CaseAsync(string method, Func<Task> body)
    {
        Last = null;
        try
        {
            await body();
            _results[method] = new CaseResult("pass", "");
        }
        catch (SkipException e)
        {
            _results[method] = new CaseResult("skipped", e.Message);
            throw;
        }
        catch (Exception e)
        {
            _results[method] = new CaseResult("fail", Ours(e.Message));
            throw;
        }
    }

    /// <summary>
    /// What we answered, for the table, from a case's failure: "we answered: X; expected Y" gives X (the table has the
    /// expectation already), any other failure its first line and the last command's answer.
    /// </summary>
    private string Ours(string message)
    {
        var first = message.Split('\n')[0].Trim();
        var answered = first.IndexOf("we answered: ", StringComparison.Ordinal);
        if (answered >= 0)
        {
            var expected = first.LastIndexOf("; expected ", StringComparison.Ordinal);
            return first[..answered] + first[(answered + "we answered: ".Length)..(expected > answered ? expected : first.Length)];
        }

        return Last is { } last ? $"{first} (last command: `{last.CommandLine}` exit {last.Exit}: {last.FirstLine})" : first;
    }

    /// <summary>kubectl (the machine's) with the host's kubeconfig, in the working directory.</summary>
    public Task<CommandResult> KubectlAsync(params string[] args) =>
        RunAsync(Kubectl.Path ?? throw SkipException.ForSkip("kubectl is not installed on this machine"), "kubectl", args);

    /// <summary>helm (<c>$VERS_HELM</c>, .tools/helm or PATH) with the host's kubeconfig, in the working directory.</summary>
    public Task<CommandResult> HelmAsync(params string[] args) =>
        RunAsync(Helm.Path ?? throw SkipException.ForSkip(Helm.SkipReason), "helm", args);

    /// <summary>Starts kubectl without waiting for it (a watch); the caller reads its output and ends it.</summary>
    public Process StartKubectl(params string[] args)
    {
        var start = StartInfo(Kubectl.Path ?? throw SkipException.ForSkip("kubectl is not installed on this machine"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>A file in the working directory, named as kubectl will print it.</summary>
    public string Write(string name, string content)
    {
        File.WriteAllText(Path.Combine(WorkDir, name), content);
        return name;
    }

    /// <summary>A request to the embedded API with a JSON body (setup that must not depend on the kubectl under test).</summary>
    public async Task<string> SendAsync(HttpMethod method, string path, string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (!response.IsSuccessStatusCode && !(method == HttpMethod.Post && response.StatusCode == HttpStatusCode.Conflict))
        {
            throw new InvalidOperationException($"setup: {method} {path} answered {(int)response.StatusCode}: {body}");
        }

        return body;
    }

    private async Task<CommandResult> RunAsync(string file, string name, string[] args)
    {
        var start = StartInfo(file);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        Last = new CommandResult($"{name} {string.Join(' ', args)}", process.ExitCode, await stdout, await stderr);
        return Last;
    }

    private ProcessStartInfo StartInfo(string file)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = WorkDir,
        };
        start.Environment["KUBECONFIG"] = KubeconfigPath;
        start.Environment["KUBECACHEDIR"] = Path.Combine(WorkDir, "kube-cache");
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(WorkDir, "helm", "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(WorkDir, "helm", "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(WorkDir, "helm", "data");
        return start;
    }

    private async Task<string> VersionAsync(string? file, params string[] args)
    {
        if (file is null)
        {
            return "(not installed)";
        }

        var start = StartInfo(file);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        // kubectl -o yaml: "clientVersion: … gitVersion: v1.32.4-dispatcher …"; helm --short: "v3.17.2+gcc0bbbd".
        var line = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("gitVersion:", StringComparison.Ordinal)) ?? output.Split('\n')[0];
        return line.Replace("gitVersion:", "", StringComparison.Ordinal).Trim();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_hostOutput)
        {
            _hostOutput.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
