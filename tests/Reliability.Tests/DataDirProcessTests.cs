using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// The all-in-one host's <c>--data-dir</c> as a user runs it (the built program): one host per directory, a kill -9
/// loses no acknowledged fork and leaves no lock behind, a database it cannot serve stops it with one line, the
/// backup and restore commands, and a full disk answered with 503 and Retry-After until space returns.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class DataDirProcessTests : IDisposable
{
    private const string Key = "datadir-dev-key-0123456789";

    private readonly string _root = Directory.CreateTempSubdirectory("vers-datadir-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [Fact]
    public async Task A_second_host_on_the_same_data_dir_exits_at_once_naming_it_and_the_holders_PID_and_the_first_keeps_serving()
    {
        var dataDir = Path.Combine(_root, "data");
        await using var first = await Host.StartAsync(dataDir, _root);

        using var second = Host.Launch(dataDir, _root);
        var stderr = await second.StandardError.ReadToEndAsync(Ct);
        await second.WaitForExitAsync(Ct);

        Assert.Equal(1, second.ExitCode);
        Assert.Equal($"data directory {dataDir} is in use by another process (PID {first.Pid}): stop it first, or start this one with another --data-dir", stderr.Trim());
        Assert.Equal(HttpStatusCode.Created, (await first.ForkAsync()).Status);
    }

    [Fact]
    public async Task Twenty_concurrent_acknowledged_forks_are_all_there_after_a_kill_9_and_the_lock_does_not_block_the_restart()
    {
        var dataDir = Path.Combine(_root, "data");
        List<JsonNode> acknowledged;
        await using (var host = await Host.StartAsync(dataDir, _root))
        {
            var forks = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.ForkAsync()));
            Assert.All(forks, f => Assert.Equal(HttpStatusCode.Created, f.Status));
            acknowledged = [.. forks.Select(f => f.Body)];
            host.Kill(); // SIGKILL: no shutdown code runs, nothing is flushed on the way out
        }

        await using var restarted = await Host.StartAsync(dataDir, _root);
        var vms = (await restarted.GetAsync("api/v1/vms")).AsArray().Select(v => (string?)v!["vm_id"]).ToHashSet();
        foreach (var fork in acknowledged)
        {
            var tag = await restarted.GetAsync($"api/v1/repositories/{fork["repo_name"]}/tags/{fork["tag_name"]}");
            Assert.Equal((string?)fork["commit_id"], (string?)tag["commit_id"]);
            Assert.Contains((string?)fork["vm_id"], vms);
        }
    }

    [Fact]
    public async Task An_empty_database_stops_the_host_with_one_line_naming_the_file_which_is_left_as_it_was()
    {
        var dataDir = Path.Combine(_root, "data");
        Directory.CreateDirectory(dataDir);
        var database = Path.Combine(dataDir, "cluster.db");
        await File.WriteAllBytesAsync(database, [], Ct);

        using var host = Host.Launch(dataDir, _root);
        var stderr = await host.StandardError.ReadToEndAsync(Ct);
        await host.WaitForExitAsync(Ct);

        Assert.Equal(1, host.ExitCode);
        Assert.StartsWith($"{database} is empty (0 bytes): the host will not serve it and has left it as it is.", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Equal(0, new FileInfo(database).Length);
    }

    [Fact]
    public async Task The_backup_command_copies_a_running_host_and_the_restore_command_brings_every_object_back()
    {
        var dataDir = Path.Combine(_root, "data");
        var backup = Path.Combine(_root, "cluster-backup.db");
        IReadOnlySet<string> before;
        await using (var host = await Host.StartAsync(dataDir, _root))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.Created, (await host.ForkAsync()).Status);
            }

            before = await host.ObjectsAsync();
            var (code, output) = await Host.RunCommandAsync("backup", "--data-dir", dataDir, "--to", backup);
            Assert.True(code == 0, output);
            Assert.StartsWith("backed up ", output, StringComparison.Ordinal);
        }

        var restoredDir = Path.Combine(_root, "restored");
        var (restoreCode, restoreOutput) = await Host.RunCommandAsync("restore", "--data-dir", restoredDir, "--from", backup);
        Assert.True(restoreCode == 0, restoreOutput);
        await using var restored = await Host.StartAsync(restoredDir, _root);

        var after = await restored.ObjectsAsync();
        Assert.Empty(before.Except(after));
        Assert.Empty(after.Except(before));
    }

    [Fact]
    public async Task On_a_full_disk_forks_answer_503_with_Retry_After_and_both_readyz_fail_until_space_returns()
    {
        using var disk = TmpfsMount.MountOrSkip(megabytes: 48);
        var dataDir = Path.Combine(disk.Path, "data");
        await using var host = await Host.StartAsync(dataDir, _root);
        Sqlite.EmptyWal(dataDir);
        var filler = disk.Fill();

        var refused = await host.ForkAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        Assert.Equal("2", refused.RetryAfter);
        Assert.False((bool)refused.Body["success"]!);
        Assert.Contains("retry after 2 s", (string?)refused.Body["error"], StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1.1), Ct); // past the storage probe's one-second memo
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.ReadyzAsync(host.Api));
        Assert.Equal(HttpStatusCode.InternalServerError, await host.ReadyzAsync(host.Kube)); // kube-apiserver's readyz answers 500

        File.Delete(filler);
        await host.UntilReadyAsync();

        Assert.Equal(HttpStatusCode.OK, await host.ReadyzAsync(host.Kube));
        Assert.Equal(HttpStatusCode.Created, (await host.ForkAsync()).Status);
    }

    /// <summary>The host program on a data directory, with its fork API and Kubernetes API on free ports.</summary>
    private sealed class Host : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(90) };

        private Host(Process process, Uri api, Uri kube)
        {
            _process = process;
            Api = api;
            Kube = kube;
        }

        public Uri Api { get; }

        public Uri Kube { get; }

        public int Pid => _process.Id;

        public static async Task<Host> StartAsync(string dataDir, string scratch)
        {
            var (api, kube) = (FreePort(), FreePort());
            var host = new Host(Launch(dataDir, scratch, api, kube), new Uri($"http://127.0.0.1:{api}/"), new Uri($"http://127.0.0.1:{kube}/"));
            // Drained so a chatty host never blocks on a full pipe.
            _ = host._process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            _ = host._process.StandardError.ReadToEndAsync(CancellationToken.None);
            await host.UntilReadyAsync();
            return host;
        }

        public static Process Launch(string dataDir, string scratch, int? api = null, int? kube = null) => Run(
            "--data-dir", dataDir, "--dev-api-key", Key, "--metrics-listen", "off",
            "--listen", $"http://127.0.0.1:{api ?? FreePort()}", "--kube-listen", $"http://127.0.0.1:{kube ?? FreePort()}",
            "--kubeconfig", Path.Combine(scratch, $"kubeconfig-{Guid.NewGuid():N}"));

        public static async Task<(int Code, string Output)> RunCommandAsync(params string[] args)
        {
            using var process = Run(args);
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            var stdout = await process.StandardOutput.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            return (process.ExitCode, stdout + await stderr);
        }

        /// <summary>Forks vers/node:latest into a new repository of org dev.</summary>
        public async Task<(HttpStatusCode Status, JsonNode Body, string? RetryAfter)> ForkAsync()
        {
            var repo = $"node-{Guid.NewGuid():N}"[..20];
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Api, "api/v1/repositories/fork"))
            {
                Content = new StringContent($$"""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"{{repo}}"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            using var response = await _http.SendAsync(request, Ct);
            return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!, response.Headers.RetryAfter?.ToString());
        }

        public async Task<JsonNode> GetAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Api, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            using var response = await _http.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
            return JsonNode.Parse(body)!;
        }

        /// <summary>Every stored object (each listable resource in discovery) as "resource namespace/name uid", leases and events aside (they change as the host runs).</summary>
        public async Task<IReadOnlySet<string>> ObjectsAsync()
        {
            var objects = new HashSet<string>(StringComparer.Ordinal);
            var groups = JsonNode.Parse(await _http.GetStringAsync(new Uri(Kube, "apis"), Ct))!["groups"]!.AsArray()
                .Select(g => "apis/" + (string)g!["preferredVersion"]!["groupVersion"]!).Prepend("api/v1");
            foreach (var groupVersion in groups)
            {
                var resources = JsonNode.Parse(await _http.GetStringAsync(new Uri(Kube, groupVersion), Ct))!["resources"]!.AsArray();
                foreach (var resource in resources.Where(r => !((string)r!["name"]!).Contains('/') && r!["verbs"]!.AsArray().Any(v => (string?)v == "list")))
                {
                    var name = (string)resource!["name"]!;
                    if (name is "leases" or "events")
                    {
                        continue;
                    }

                    var list = JsonNode.Parse(await _http.GetStringAsync(new Uri(Kube, $"{groupVersion}/{name}"), Ct))!;
                    foreach (var item in list["items"]!.AsArray())
                    {
                        var meta = item!["metadata"]!;
                        objects.Add($"{groupVersion}/{name} {meta["namespace"]}/{meta["name"]} {meta["uid"]}");
                    }
                }
            }

            return objects;
        }

        public async Task<HttpStatusCode> ReadyzAsync(Uri listener)
        {
            using var response = await _http.GetAsync(new Uri(listener, "readyz"), Ct);
            return response.StatusCode;
        }

        public Task UntilReadyAsync() => HostProgram.UntilReadyAsync(_http, Api, _process, Ct);

        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }

        public ValueTask DisposeAsync()
        {
            Kill();
            _process.Dispose();
            _http.Dispose();
            return ValueTask.CompletedTask;
        }

        private static Process Run(params string[] args) => HostProgram.Run(args);

        private static int FreePort() => HostProgram.FreePort();
    }
}
