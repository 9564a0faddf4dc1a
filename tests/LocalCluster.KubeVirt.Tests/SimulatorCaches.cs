using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>An API server with the KubeVirt CRDs and the simulator's informers (no controllers), filled on demand.</summary>
internal sealed class SimulatorCaches : IAsyncDisposable
{
    private readonly KubeApiServer _server;
    private readonly IKubernetes _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    private SimulatorCaches(KubeApiServer server, IKubernetes client, SimulatorOptions options, TimeProvider time)
    {
        _server = server;
        _client = client;
        Rest = new KubeRestClient(client);
        Context = new SimulatorContext(client, NullLoggerFactory.Instance, options, time);
    }

    public SimulatorContext Context { get; }

    public KubeRestClient Rest { get; }

    public KubeApiServer Server => _server;

    public static Task<SimulatorCaches> StartAsync(params string[] namespaces) => StartAsync(new SimulatorOptions(), TimeProvider.System, namespaces);

    public static async Task<SimulatorCaches> StartAsync(SimulatorOptions options, TimeProvider time, params string[] namespaces)
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0" }, ct);
        var client = server.CreateClient();
        await KubeVirtCrds.InstallAsync(client, ct);
        foreach (var ns in namespaces)
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: ct);
        }

        return new SimulatorCaches(server, client, options, time);
    }

    public Task<GenericObject> CreateAsync(ResourceType type, JsonObject obj) =>
        Rest.CreateAsync(type, (string?)obj["metadata"]!["namespace"], KubernetesJson.Deserialize<GenericObject>(obj.ToJsonString()),
            TestContext.Current.CancellationToken);

    /// <summary>Starts the informers: their first list holds every object created so far.</summary>
    public async Task SyncAsync()
    {
        _running.AddRange(Context.Informers.Select(i => Task.Run(() => i.RunAsync(_stop.Token))));
        await Task.WhenAll(Context.Informers.Select(i => i.WaitForSyncAsync(TestContext.Current.CancellationToken)));
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking it on every informer event (the caches are updated before handlers run).</summary>
    public async Task UntilAsync(Func<bool> condition)
    {
        using var changed = new SemaphoreSlim(0);
        var handlers = Context.Informers.Select(i => i.AddHandler((_, _) => changed.Release())).ToList();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            while (!condition())
            {
                try
                {
                    await changed.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    Assert.Fail("timed out waiting for the informers");
                }
            }
        }
        finally
        {
            foreach (var handler in handlers)
            {
                handler.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        _stop.Dispose();
        _client.Dispose();
        await _server.DisposeAsync();
    }
}
