using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>--data-dir: the store in SQLite, like k3s's single-node datastore.</summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("vers-data-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [Fact]
    public async Task Restarting_with_the_same_data_dir_keeps_every_object_and_serves_its_CRDs()
    {
        string widgetVersion;
        await using (var first = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _dataDir }))
        {
            await first.CreateWidgetCrdAsync();
            await first.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } }, cancellationToken: Ct);
            await first.Client.CoreV1.CreateNamespacedConfigMapAsync(
                new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "team", cancellationToken: Ct);
            widgetVersion = (await first.CreateWidgetAsync("w1", size: 7, ns: "team")).Str("metadata", "resourceVersion");
        }

        await using var second = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _dataDir });

        var widget = await second.GetWidgetAsync("w1", "team");
        Assert.Equal("7", widget.Str("spec", "size"));
        Assert.Equal(widgetVersion, widget.Str("metadata", "resourceVersion"));
        Assert.Equal("1", (await second.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", "team", cancellationToken: Ct)).Data["a"]);
        Assert.Contains((await second.Client.CoreV1.ListNamespaceAsync(cancellationToken: Ct)).Items, n => n.Metadata.Name == "team");
    }

    [Fact]
    public async Task ResourceVersions_keep_increasing_across_a_restart()
    {
        long before;
        await using (var first = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _dataDir }))
        {
            var cm = await first.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default", cancellationToken: Ct);
            before = long.Parse(cm.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var second = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _dataDir });
        var next = await second.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, "default", cancellationToken: Ct);

        Assert.True(long.Parse(next.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > before);
    }

    [Fact]
    public async Task A_watch_from_a_resourceVersion_before_the_restart_is_told_410_Gone()
    {
        string oldVersion;
        await using (var first = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _dataDir }))
        {
            var cm = await first.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default", cancellationToken: Ct);
            oldVersion = cm.Metadata.ResourceVersion;
            await first.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, "default", cancellationToken: Ct);
        }

        await using var second = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _dataDir });
        using var http = new HttpClient { BaseAddress = second.Server.BaseAddress };
        var line = await FirstLineAsync(http, $"api/v1/namespaces/default/configmaps?watch=true&resourceVersion={oldVersion}");

        Assert.Contains("\"type\":\"ERROR\"", line, StringComparison.Ordinal);
        Assert.Contains("\"code\":410", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_the_server_during_a_burst_of_writes_loses_none_that_were_acknowledged()
    {
        var port = FreePort();
        var acknowledged = new List<string>();
        using (var server = StartHostProcess(port))
        {
            using var client = await ConnectAsync(port);
            using var burst = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var writer = Task.Run(async () =>
            {
                for (var i = 0; !burst.IsCancellationRequested; i++)
                {
                    var name = $"cm-{i:D5}";
                    try
                    {
                        await client.CoreV1.CreateNamespacedConfigMapAsync(
                            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["i"] = $"{i}" } },
                            "default",
                            cancellationToken: CancellationToken.None);
                        acknowledged.Add(name);
                    }
                    catch (Exception e) when (e is HttpRequestException or HttpOperationException or TaskCanceledException or IOException)
                    {
                        return; // the server is gone: this write was never acknowledged
                    }
                }
            }, CancellationToken.None);

            while (acknowledged.Count < 200)
            {
                await Task.Delay(5, Ct);
            }

            server.Kill(); // SIGKILL: no shutdown code runs
            await server.WaitForExitAsync(Ct);
            await burst.CancelAsync();
            await writer;
        }

        using var restarted = StartHostProcess(port);
        try
        {
            using var client = await ConnectAsync(port);
            var stored = (await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct)).Items.Select(c => c.Metadata.Name).ToHashSet();

            Assert.True(acknowledged.Count >= 200, $"{acknowledged.Count} writes were acknowledged");
            var lost = acknowledged.Where(name => !stored.Contains(name)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged writes were lost: {string.Join(", ", lost.Take(10))}");
        }
        finally
        {
            restarted.Kill();
            await restarted.WaitForExitAsync(Ct);
        }
    }

    /// <summary>The all-in-one host as its own process (empty, with --data-dir), so it can be killed.</summary>
    private Process StartHostProcess(int kubePort)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Vers.LocalCluster"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--no-seed", "--data-dir", _dataDir, "--kube-listen", $"http://127.0.0.1:{kubePort}", "--listen", "http://127.0.0.1:0", "--metrics-listen", "http://127.0.0.1:0", "--kubeconfig", Path.Combine(_dataDir, "kubeconfig") })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<IKubernetes> ConnectAsync(int port)
    {
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { BaseAddress = address };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                if ((await http.GetAsync("readyz", timeout.Token)).StatusCode == HttpStatusCode.OK)
                {
                    return new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() });
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            // The child process gives no signal when it listens; probe its readiness endpoint.
            await Task.Delay(100, timeout.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> FirstLineAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        return await reader.ReadLineAsync(Ct) ?? "";
    }
}
