using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>The real kubectl 1.32's <c>get --watch</c> and <c>get --watch-only</c> against the embedded server.</summary>
public sealed class KubectlWatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Collects a running kubectl's output lines.</summary>
    private sealed class Output
    {
        private readonly List<string> _lines = [];

        public Output(Process p) => _ = Task.Run(async () =>
        {
            while (await p.StandardOutput.ReadLineAsync(Ct) is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        }, Ct);

        public List<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        /// <summary>Runs <paramref name="step"/> (with a counter) every 300 ms until a line matches, for up to 20 s.</summary>
        public async Task<List<string>> UntilAsync(Func<string, bool> match, Func<int, Task> step)
        {
            for (var i = 0; i < 66; i++)
            {
                if (Lines.Any(match))
                {
                    return Lines;
                }

                await step(i);
                await Task.Delay(300, Ct);
            }

            Assert.Fail($"kubectl printed no matching line; it printed:\n{string.Join('\n', Lines)}");
            return [];
        }
    }

    private static async Task CreateConfigMapAsync(TestCluster c, string name) =>
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = "1" } }, "default", cancellationToken: Ct);

    [Fact]
    public async Task Get_by_name_with_watch_prints_the_object_then_its_changes()
    {
        await using var k = await KubectlHarness.StartAsync();
        await CreateConfigMapAsync(k.Cluster, "x");
        await CreateConfigMapAsync(k.Cluster, "y");
        using var p = k.Start("get", "configmap", "x", "--watch", "-o", "jsonpath={.metadata.name}={.data.v}{\"\\n\"}");
        var output = new Output(p);

        var printed = await output.UntilAsync(_ => true, _ => Task.CompletedTask);
        Assert.Equal("x=1", printed[0]);

        // The watch starts some time after the object is printed: change it until a change is printed.
        var lines = await output.UntilAsync(line => line.StartsWith("x=", StringComparison.Ordinal) && line != "x=1", async i =>
        {
            await k.Cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch($"{{\"data\":{{\"v\":\"{i + 2}\"}}}}", V1Patch.PatchType.MergePatch), "y", "default", cancellationToken: Ct);
            await k.Cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch($"{{\"data\":{{\"v\":\"{i + 2}\"}}}}", V1Patch.PatchType.MergePatch), "x", "default", cancellationToken: Ct);
        });
        p.Kill();

        Assert.Equal("x=1", lines[0]);
        Assert.All(lines, line => Assert.StartsWith("x=", line));
    }

    [Fact]
    public async Task Get_with_watch_only_prints_changes_but_not_the_current_objects()
    {
        await using var k = await KubectlHarness.StartAsync();
        await CreateConfigMapAsync(k.Cluster, "before");
        using var p = k.Start("get", "configmaps", "--watch-only", "-o", "name");
        var output = new Output(p);

        var lines = await output.UntilAsync(line => line.StartsWith("configmap/fresh-", StringComparison.Ordinal), i => CreateConfigMapAsync(k.Cluster, $"fresh-{i}"));
        p.Kill();

        Assert.DoesNotContain("configmap/before", lines);
    }
}
