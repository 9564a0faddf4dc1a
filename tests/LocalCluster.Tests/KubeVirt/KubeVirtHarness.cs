using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.Api;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;

namespace Vers.LocalCluster.Tests.KubeVirt;

/// <summary>An in-process API server with the KubeVirt CRDs and a running simulator.</summary>
internal sealed class KubeVirtHarness : IAsyncDisposable
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    private KubeVirtHarness(KubeApiServer server, IKubernetes client, KubeVirtSimulator simulator)
    {
        Server = server;
        Client = client;
        Rest = new KubeRestClient(client);
        Simulator = simulator;
    }

    public KubeApiServer Server { get; }
    public IKubernetes Client { get; }
    public KubeRestClient Rest { get; }
    public KubeVirtSimulator Simulator { get; }
    public SimulatorOptions Options => Simulator.Options;

    public static async Task<KubeVirtHarness> StartAsync(SimulatorOptions? options = null, TimeProvider? time = null, params string[] namespaces)
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0" }, ct);
        var client = server.CreateClient();
        await KubeVirtCrds.InstallAsync(client, ct);
        foreach (var ns in namespaces)
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: ct);
        var simulator = new KubeVirtSimulator(client, NullLoggerFactory.Instance, options, time);
        await simulator.StartAsync(ct);
        return new KubeVirtHarness(server, client, simulator);
    }

    public Task<GenericObject> CreateAsync(ResourceType type, JsonObject obj) =>
        Rest.CreateAsync(type, (string?)obj["metadata"]!["namespace"], KubernetesJson.Deserialize<GenericObject>(obj.ToJsonString()),
            TestContext.Current.CancellationToken);

    public Task<GenericObject?> GetAsync(ResourceType type, string ns, string name) =>
        Rest.TryGetAsync<GenericObject>(type, ns, name, TestContext.Current.CancellationToken);

    /// <summary>Waits, by watching, until the object exists and satisfies <paramref name="condition"/>.</summary>
    public async Task<GenericObject> WaitForAsync(ResourceType type, string ns, string name, Func<GenericObject, bool> condition, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(WaitTimeout);
        GenericObject? last = null;
        try
        {
            while (true)
            {
                var list = await Rest.ListAsync<GenericObject>(type, ns, timeout.Token);
                last = list.Items.FirstOrDefault(o => o.Metadata.Name == name);
                if (last is not null && condition(last)) return last;
                await foreach (var (eventType, obj) in Rest.WatchAsync<GenericObject>(type, ns, list.Metadata.ResourceVersion, timeout.Token, timeoutSeconds: 30))
                {
                    if (eventType is not (WatchEventType.Added or WatchEventType.Modified) || obj.Metadata.Name != name) continue;
                    last = obj;
                    if (condition(obj)) return obj;
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{type.Kind} {ns}/{name}: timed out waiting for {what}; last seen: {(last is null ? "none" : KubernetesJson.Serialize(last))}");
        }
    }

    /// <summary>Every KubeVirt/CDI/CSI object in the namespaces, validated against the upstream schemas.</summary>
    public async Task AssertAllValidAsync(params string[] namespaces)
    {
        var problems = new List<string>();
        var count = 0;
        foreach (var ns in namespaces)
        {
            foreach (var type in KubeVirtTypes.All)
            {
                var list = await Rest.ListAsync<GenericObject>(type, ns, TestContext.Current.CancellationToken);
                foreach (var obj in list.Items)
                {
                    count++;
                    var json = JsonNode.Parse(KubernetesJson.Serialize(obj))!;
                    // The server lists items without type meta (like a real list); validate them as objects.
                    json["apiVersion"] = type.ApiVersion;
                    json["kind"] = type.Kind;
                    var result = KubeVirtSchemaValidator.Validate(json);
                    if (!result.IsValid) problems.Add($"{type.Kind} {ns}/{obj.Metadata.Name}:{Environment.NewLine}{result}");
                }
            }
        }
        Assert.True(count > 0, "no objects to validate");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
