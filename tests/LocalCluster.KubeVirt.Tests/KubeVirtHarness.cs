using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.KubeVirt;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>
/// An in-process API server with the KubeVirt CRDs, the simulator running against it and its admission webhooks
/// registered in the server's chain (as the all-in-one host does), and namespaces <see cref="Ns"/> and
/// <see cref="OtherNs"/>. Every wait is a watch: nothing sleeps or polls.
/// </summary>
internal sealed class KubeVirtHarness : IAsyncDisposable
{
    public const string Ns = "org-a";
    public const string OtherNs = "org-b";

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

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<KubeVirtHarness> StartAsync(SimulatorOptions? options = null, TimeProvider? time = null)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0" }, Ct);
        var client = server.CreateClient();
        await KubeVirtCrds.InstallAsync(client, Ct);
        foreach (var ns in (string[])[Ns, OtherNs])
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: Ct);
        }

        var simulator = new KubeVirtSimulator(client, new TestOutputLoggers(), options, time);
        foreach (var plugin in simulator.AdmissionPlugins())
        {
            server.Admission.Register(plugin);
        }

        await simulator.StartAsync(Ct);
        return new KubeVirtHarness(server, client, simulator);
    }

    public Task<GenericObject> CreateAsync(ResourceType type, JsonObject obj) => CreateAsync(Rest, type, obj);

    /// <summary>Creates as the user a bearer token of <see cref="KubeApiServer.Access"/> authenticates.</summary>
    public async Task<GenericObject> CreateAsAsync(string token, ResourceType type, JsonObject obj)
    {
        var config = Server.CreateClientConfiguration();
        config.AccessToken = token;
        using var client = new Kubernetes(config);
        return await CreateAsync(new KubeRestClient(client), type, obj);
    }

    private static Task<GenericObject> CreateAsync(KubeRestClient rest, ResourceType type, JsonObject obj) =>
        rest.CreateAsync(type, type.Namespaced ? (string?)obj["metadata"]!["namespace"] : null, KubernetesJson.Deserialize<GenericObject>(obj.ToJsonString()), Ct);

    public Task<GenericObject?> GetAsync(ResourceType type, string? ns, string name) =>
        Rest.TryGetAsync<GenericObject>(type, type.Namespaced ? ns : null, name, Ct);

    /// <summary>The object as the server holds it now (it must exist).</summary>
    public Task<GenericObject> ReadAsync(ResourceType type, string? ns, string name) =>
        Rest.GetAsync<GenericObject>(type, type.Namespaced ? ns : null, name, Ct);

    public Task<GenericObject> PatchAsync(ResourceType type, string? ns, string name, JsonObject patch, string? subresource = null) =>
        Rest.PatchAsync<GenericObject>(type, type.Namespaced ? ns : null, name, patch.ToJsonString(), Ct, PatchKind.Merge, subresource: subresource);

    public Task DeleteAsync(ResourceType type, string? ns, string name) => Rest.DeleteAsync(type, type.Namespaced ? ns : null, name, Ct);

    /// <summary>Waits, by watching, until the object exists and satisfies <paramref name="condition"/>.</summary>
    public async Task<GenericObject> WaitForAsync(ResourceType type, string? ns, string name, Func<GenericObject, bool> condition, string what)
    {
        GenericObject? last = null;
        var found = await WatchAsync(type, ns, name, (eventType, obj) =>
        {
            last = obj;
            return eventType != WatchEventType.Deleted && condition(obj);
        }, () => last, what);
        return found!;
    }

    /// <summary>Waits, by watching, until the object is gone (returns at once when it does not exist).</summary>
    public async Task WaitForDeletionAsync(ResourceType type, string? ns, string name)
    {
        GenericObject? last = null;
        await WatchAsync(type, ns, name, (eventType, obj) =>
        {
            last = obj;
            return eventType == WatchEventType.Deleted;
        }, () => last, "deletion", whenAbsent: true);
    }

    /// <summary>
    /// Starts recording every version of an object from now on (it need not exist yet), so that a test can create it
    /// and then read the sequence of states it went through.
    /// </summary>
    public async Task<Recording> RecordAsync(ResourceType type, string? ns, string name)
    {
        ns = type.Namespaced ? ns : null;
        var list = await Rest.ListAsync<GenericObject>(type, ns, Ct);
        var recording = new Recording($"{type.Kind} {ns}/{name}");
        if (list.Items.FirstOrDefault(o => o.Metadata.Name == name) is { } existing)
        {
            recording.Add(existing);
        }

        recording.Run(Rest, type, ns, name, list.Metadata.ResourceVersion);
        return recording;
    }

    /// <summary>Waits, by watching, for an Event (events.k8s.io/v1) about the named object with this reason (and, when given, note).</summary>
    public async Task<GenericObject> WaitForEventAsync(string ns, string regarding, string reason, string? note = null)
    {
        bool Matches(GenericObject e) =>
            (string?)e.Fields["regarding"]?["name"] == regarding && (string?)e.Fields["reason"] == reason && (note is null || (string?)e.Fields["note"] == note);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(WaitTimeout);
        var seen = new List<string>();
        try
        {
            while (true)
            {
                var list = await Rest.ListAsync<GenericObject>(ResourceType.EventV1, ns, timeout.Token);
                if (list.Items.FirstOrDefault(Matches) is { } found)
                {
                    return found;
                }

                seen.AddRange(list.Items.Where(e => (string?)e.Fields["regarding"]?["name"] == regarding).Select(Describe));
                await foreach (var (type, e) in Rest.WatchAsync<GenericObject>(ResourceType.EventV1, ns, list.Metadata.ResourceVersion, timeout.Token, timeoutSeconds: 30))
                {
                    if (type != WatchEventType.Added)
                    {
                        continue;
                    }

                    if (Matches(e))
                    {
                        return e;
                    }

                    if ((string?)e.Fields["regarding"]?["name"] == regarding)
                    {
                        seen.Add(Describe(e));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no event {reason} about {ns}/{regarding}{(note is null ? "" : $" saying \"{note}\"")}; seen: {string.Join(" | ", seen.Distinct())}");
        }

        static string Describe(GenericObject e) => $"{e.Fields["type"]} {e.Fields["reason"]}: {e.Fields["note"]}";
    }

    /// <summary>Waits until the simulator's own cache of a kind shows the object satisfying <paramref name="condition"/> (its informer's events, no polling).</summary>
    public async Task UntilSimulatorSeesAsync(ResourceType type, string? ns, string name, Func<GenericObject, bool> condition)
    {
        var informer = Simulator.Context.Informers.Single(i => i.Type == type);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handler = informer.AddHandler((_, obj) =>
        {
            if (obj.Metadata.Name == name && informer.Get(ns, name) is { } cached && condition(cached))
            {
                seen.TrySetResult();
            }
        });
        if (informer.Get(ns, name) is { } current && condition(current))
        {
            return;
        }

        await seen.Task.WaitAsync(WaitTimeout, Ct);
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
                var list = await Rest.ListAsync<GenericObject>(type, ns, Ct);
                foreach (var obj in list.Items)
                {
                    count++;
                    var json = JsonNode.Parse(KubernetesJson.Serialize(obj))!;
                    // The server lists items without type meta (like a real list); validate them as objects.
                    json["apiVersion"] = type.ApiVersion;
                    json["kind"] = type.Kind;
                    var result = KubeVirtSchemaValidator.Validate(json);
                    if (!result.IsValid)
                    {
                        problems.Add($"{type.Kind} {ns}/{obj.Metadata.Name}:{Environment.NewLine}{result}");
                    }
                }
            }
        }

        Assert.True(count > 0, "no objects to validate");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>List, then watch from the list's resourceVersion (again after a server-side timeout), until <paramref name="done"/>.</summary>
    private async Task<GenericObject?> WatchAsync(
        ResourceType type, string? ns, string name, Func<WatchEventType, GenericObject, bool> done, Func<GenericObject?> last, string what, bool whenAbsent = false)
    {
        ns = type.Namespaced ? ns : null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(WaitTimeout);
        try
        {
            while (true)
            {
                var list = await Rest.ListAsync<GenericObject>(type, ns, timeout.Token);
                var current = list.Items.FirstOrDefault(o => o.Metadata.Name == name);
                if (current is null && whenAbsent)
                {
                    return null;
                }

                if (current is not null && done(WatchEventType.Modified, current))
                {
                    return current;
                }

                await foreach (var (eventType, obj) in Rest.WatchAsync<GenericObject>(type, ns, list.Metadata.ResourceVersion, timeout.Token, timeoutSeconds: 30))
                {
                    if (eventType is WatchEventType.Bookmark || obj.Metadata.Name != name)
                    {
                        continue;
                    }

                    if (done(eventType, obj))
                    {
                        return obj;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            var seen = last();
            throw new TimeoutException($"{type.Kind} {ns}/{name}: timed out waiting for {what}; last seen: {(seen is null ? "none" : KubernetesJson.Serialize(seen))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        Client.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>The versions of one object a watch delivered, in order.</summary>
    public sealed class Recording(string what) : IAsyncDisposable
    {
        private readonly Channel<GenericObject> _arrived = Channel.CreateUnbounded<GenericObject>();
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        private readonly List<GenericObject> _versions = [];
        private Task _watch = Task.CompletedTask;

        internal void Add(GenericObject obj) => _arrived.Writer.TryWrite(obj);

        internal void Run(KubeRestClient rest, ResourceType type, string? ns, string name, string? resourceVersion) =>
            _watch = Task.Run(async () =>
            {
                try
                {
                    await foreach (var (eventType, obj) in rest.WatchAsync<GenericObject>(type, ns, resourceVersion, _stop.Token))
                    {
                        if (eventType is WatchEventType.Added or WatchEventType.Modified && obj.Metadata.Name == name)
                        {
                            Add(obj);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            });

        /// <summary>Every version recorded up to and including the first that satisfies <paramref name="condition"/>.</summary>
        public async Task<IReadOnlyList<GenericObject>> UntilAsync(Func<GenericObject, bool> condition)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(WaitTimeout);
            try
            {
                while (true)
                {
                    var next = await _arrived.Reader.ReadAsync(timeout.Token);
                    _versions.Add(next);
                    if (condition(next))
                    {
                        return [.. _versions];
                    }
                }
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{what}: timed out; versions seen: {string.Join(Environment.NewLine, _versions.Select(v => KubernetesJson.Serialize(v.Status)))}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _watch;
            _stop.Dispose();
        }
    }
}
