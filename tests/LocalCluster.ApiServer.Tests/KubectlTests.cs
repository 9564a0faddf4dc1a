using System.Text;
using k8s;
using k8s.Models;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Drives the real /usr/bin/kubectl (1.32 dispatcher) against the embedded server.</summary>
public sealed class KubectlTests : IAsyncDisposable
{
    private KubectlHarness? _kubectl;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KubectlHarness Kubectl => _kubectl!;

    private TestCluster Cluster => Kubectl.Cluster;

    /// <summary>A fresh server and kubectl for the test; skips it where kubectl is not installed.</summary>
    private async Task StartAsync() => _kubectl = await KubectlHarness.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_kubectl is not null)
        {
            await _kubectl.DisposeAsync();
        }
    }

    private Task<string> OkAsync(params string[] args) => Kubectl.OkAsync(args);

    private string CrdFile() => Kubectl.Manifest("crd.json", TestCluster.WidgetCrdJson);

    private string WidgetFile(string name, int size) => Kubectl.Manifest($"{name}.yaml", $"""
        apiVersion: example.com/v1
        kind: Widget
        metadata:
          name: {name}
          namespace: default
        spec:
          size: {size}
          color: red
        """);

    [Fact]
    public async Task Apply_crd_and_cr_then_get_prints_printer_columns()
    {
        await StartAsync();
        Assert.Contains("created", await OkAsync("apply", "-f", CrdFile()));
        Assert.Contains("widget.example.com/w1 created", await OkAsync("apply", "-f", WidgetFile("w1", 3)));
        Assert.Contains("widget.example.com/w1 configured", await OkAsync("apply", "-f", WidgetFile("w1", 4)));

        var table = await OkAsync("get", "widgets", "-A");
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAMESPACE\s+NAME\s+SIZE\s+READY\s+AGE$", lines[0]);
        Assert.Matches(@"^default\s+w1\s+4\s+\d+s$", lines[1]);
        Assert.Equal("4", await OkAsync("get", "wd", "w1", "-o", "jsonpath={.spec.size}"));
    }

    [Fact]
    public async Task Apply_server_side_creates_and_updates()
    {
        await StartAsync();
        await OkAsync("apply", "-f", CrdFile());
        Assert.Contains("serverside-applied", await OkAsync("apply", "--server-side", "-f", WidgetFile("w2", 5)));
        Assert.Contains("serverside-applied", await OkAsync("apply", "--server-side", "-f", WidgetFile("w2", 6)));
        var w = await Cluster.GetWidgetAsync("w2");
        Assert.Equal("6", w.Str("spec", "size"));
    }

    [Fact]
    public async Task Explain_shows_field_description_from_crd_schema()
    {
        await StartAsync();
        await OkAsync("apply", "-f", CrdFile());
        var text = await OkAsync("explain", "widgets.spec.size");
        Assert.Contains("Size of the widget in furlongs.", text);
        var root = await OkAsync("explain", "widgets");
        Assert.Contains("Widget is a test resource.", root);
    }

    [Fact]
    public async Task Get_watch_sees_a_new_object()
    {
        await StartAsync();
        await OkAsync("apply", "-f", CrdFile());
        using var p = Kubectl.Start("get", "widgets", "-w", "--request-timeout=20s");
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        _ = Task.Run(async () =>
        {
            while (await p.StandardOutput.ReadLineAsync(Ct) is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }

                if (line.StartsWith("watched", StringComparison.Ordinal))
                {
                    seen.TrySetResult(line);
                }
            }
        }, Ct);

        // kubectl prints nothing for an empty list, so create until the watch is surely established:
        // the first object may land in the initial list, the second must arrive as a watch event.
        await Cluster.CreateWidgetAsync("watched", size: 7);
        var line = await seen.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Matches(@"^watched\s+7\s+\s*\d+s$", line);
        p.Kill();
    }

    [Fact]
    public async Task Wait_for_condition_honours_observedGeneration()
    {
        await StartAsync();
        await OkAsync("apply", "-f", CrdFile());
        await OkAsync("apply", "-f", WidgetFile("w3", 1));
        using var p = Kubectl.Start("wait", "--for=condition=Ready", "widget/w3", "--timeout=20s");
        var stdout = p.StandardOutput.ReadToEndAsync(Ct);
        var stderr = p.StandardError.ReadToEndAsync(Ct);

        var status = "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"observedGeneration\":1,\"reason\":\"Done\",\"message\":\"\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}";
        await Cluster.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w3", cancellationToken: Ct);
        await p.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(25), Ct);
        Assert.True(p.ExitCode == 0, await stderr);
        Assert.Contains("widget.example.com/w3 condition met", await stdout);
    }

    [Fact]
    public async Task Delete_waits_for_finalizer_removal_and_completes()
    {
        await StartAsync();
        await OkAsync("apply", "-f", CrdFile());
        await OkAsync("apply", "-f", WidgetFile("w4", 1));
        await Cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w4", cancellationToken: Ct);

        using var p = Kubectl.Start("delete", "widget", "w4", "--timeout=20s");
        var stdout = p.StandardOutput.ReadToEndAsync(Ct);
        var stderr = p.StandardError.ReadToEndAsync(Ct);
        await ContinueWhenTerminatingAsync();
        await Cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w4", cancellationToken: Ct);
        await p.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(25), Ct);
        Assert.True(p.ExitCode == 0, await stderr);
        Assert.Contains("widget.example.com \"w4\" deleted", await stdout);
    }

    private async Task ContinueWhenTerminatingAsync()
    {
        await using var watch = Cluster.Client.CustomObjects.WatchListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", fieldSelector: "metadata.name=w4", cancellationToken: Ct).GetAsyncEnumerator(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (await watch.MoveNextAsync().AsTask().WaitAsync(timeout.Token))
        {
            if (watch.Current.Item2 is System.Text.Json.JsonElement e && e.Has("metadata", "deletionTimestamp"))
            {
                return;
            }
        }
    }
}
