using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace Vers.Benchmarks;

/// <summary>The host process and the clients that fork through it, for <see cref="HostMemory"/>.</summary>
public static partial class HostMemory
{
    /// <summary>Clients forking through the fork API, one org (and key) each, every fork a new repository.</summary>
    private sealed class Forker(Uri forkApi, List<(string Org, string Key)> orgs)
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = forkApi, Timeout = TimeSpan.FromMinutes(5) };
        private int _next;
        private int _succeeded;
        private int _failed;

        public int Succeeded => _succeeded;

        public int Failed => _failed;

        public async Task RunAsync(int count, CancellationToken ct)
        {
            var remaining = count;
            await Task.WhenAll(orgs.Select(org => Task.Run(() => WorkAsync(org.Key), ct)));

            async Task WorkAsync(string key)
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    var name = $"r{Interlocked.Increment(ref _next):D6}";
                    var body = $$"""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"{{name}}"}""";
                    for (var attempt = 0; ; attempt++)
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/repositories/fork")
                        {
                            Content = new StringContent(body, Encoding.UTF8, "application/json"),
                        };
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                        using var response = await _http.SendAsync(request, ct);
                        var status = (int)response.StatusCode;
                        if (status == 201)
                        {
                            Interlocked.Increment(ref _succeeded);
                            break;
                        }

                        // A new key reaches the fork API's cache by watch (401 until then); 429 asks to wait.
                        if ((status == 401 && attempt < 50) || (status == 429 && attempt < 100))
                        {
                            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(200), ct);
                            continue;
                        }

                        Interlocked.Increment(ref _failed);
                        Console.Error.WriteLine($"fork failed: {status} {await response.Content.ReadAsStringAsync(ct)}");
                        break;
                    }
                }
            }
        }
    }

    /// <summary>The host as its own process, started as a user would start it, on ephemeral ports.</summary>
    private sealed class HostProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _log;
        private readonly HttpClient _metrics;

        private HostProcess(Process process, StreamWriter log, Uri forkApi, Uri kubeApi)
        {
            (_process, _log, ForkApi, KubeApi) = (process, log, forkApi, kubeApi);
            _metrics = new HttpClient { BaseAddress = forkApi };
        }

        public int Pid => _process.Id;

        public Uri ForkApi { get; }

        public Uri KubeApi { get; }

        public static async Task<HostProcess> StartAsync(string dll, string work, bool inMemory, IReadOnlyDictionary<string, string> env, CancellationToken ct)
        {
            var kubeconfig = Path.Combine(work, "kubeconfig");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work };
            List<string> args = [dll, "--listen", "http://127.0.0.1:0", "--kube-listen", "http://127.0.0.1:0", "--metrics-listen", "off",
                "--kubeconfig", kubeconfig, "--dev-api-key", DevKey];
            if (!inMemory)
            {
                args.AddRange(["--data-dir", Path.Combine(work, "data")]);
            }

            args.ForEach(start.ArgumentList.Add);
            foreach (var (name, value) in env)
            {
                start.Environment[name] = value;
            }

            var process = Process.Start(start)!;
            var log = new StreamWriter(Path.Combine(work, "host.log")) { AutoFlush = true };
            var ready = new TaskCompletionSource<(Uri, Uri)>(TaskCreationOptions.RunContinuationsAsynchronously);
            Uri? forkApi = null;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not { } line)
                {
                    ready.TrySetException(new InvalidOperationException("the host stopped before it was ready; see " + Path.Combine(work, "host.log")));
                    return;
                }

                lock (log)
                {
                    log.WriteLine(line);
                }

                // The banner the host prints once it is ready names the addresses it bound.
                if (line.TrimStart().StartsWith("Fork API:", StringComparison.Ordinal))
                {
                    forkApi = new Uri(line.Split(':', 2)[1].Trim());
                }
                else if (line.TrimStart().StartsWith("Kubernetes API:", StringComparison.Ordinal) && forkApi is not null)
                {
                    ready.TrySetResult((forkApi, new Uri(line.Split(':', 2)[1].Trim())));
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lock (log)
                    {
                        log.WriteLine(line);
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var (fork, kube) = await ready.Task.WaitAsync(TimeSpan.FromMinutes(2), ct);
            return new HostProcess(process, log, fork, kube);
        }

        /// <summary>VmRSS: the resident memory of the whole process.</summary>
        public double RssMb()
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
                }
            }

            return double.NaN;
        }

        /// <summary>What the host's runtimeconfig and environment ask of the GC.</summary>
        public string GcMode()
        {
            var config = Path.ChangeExtension(_process.StartInfo.ArgumentList[0], ".runtimeconfig.json");
            var properties = JsonNode.Parse(File.ReadAllText(config))!["runtimeOptions"]!["configProperties"]!.AsObject();
            var gc = properties.Where(p => p.Key.StartsWith("System.GC.", StringComparison.Ordinal)).Select(p => $"{p.Key[10..]}={p.Value}");
            var env = _process.StartInfo.Environment.Where(kv => kv.Key.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) || kv.Key.StartsWith("DOTNET_gc", StringComparison.Ordinal)).Select(kv => $"{kv.Key}={kv.Value}");
            return string.Join(", ", gc.Concat(env));
        }

        public sealed record GcMetrics(double HeapMb, double CommittedMb, double FragmentedMb, string Collections);

        /// <summary>The runtime's own gauges (System.Runtime meter) as the host's /metrics exports them.</summary>
        public async Task<GcMetrics> GcMetricsAsync(CancellationToken ct)
        {
            var text = await _metrics.GetStringAsync("metrics", ct);
            double Sum(string name) => text.Split('\n')
                .Where(l => l.StartsWith(name, StringComparison.Ordinal) && (l.Length == name.Length || l[name.Length] is ' ' or '{'))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
            string Gen(int g) => text.Split('\n').FirstOrDefault(l => l.StartsWith($"system_runtime_dotnet_gc_collections{{gc_heap_generation=\"gen{g}\"}}", StringComparison.Ordinal))?.Split(' ')[^1] ?? "?";
            return new GcMetrics(
                Sum("system_runtime_dotnet_gc_last_collection_heap_size") / 1048576.0,
                Sum("system_runtime_dotnet_gc_last_collection_memory_committed_size") / 1048576.0,
                Sum("system_runtime_dotnet_gc_last_collection_heap_fragmentation_size") / 1048576.0,
                $"gen0 {Gen(0)}, gen1 {Gen(1)}, gen2 {Gen(2)}");
        }

        public async ValueTask DisposeAsync()
        {
            _metrics.Dispose();
            if (!_process.HasExited)
            {
                // SIGTERM: the host stops every part gracefully.
                await RunToolAsync("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
                if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process.Dispose();
            lock (_log)
            {
                _log.Dispose();
            }
        }
    }
}
