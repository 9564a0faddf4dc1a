using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Informers;

/// <summary>An informer, the events its handler saw, and a way to stop and restart its loop.</summary>
internal sealed class RunningInformer<T> : IAsyncDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public RunningInformer(ApiServer server, ResourceType type, InformerOptions? options = null)
    {
        Informer = new ResourceInformer<T>(server.Client, type, NullLoggerFactory.Instance, options);
        Informer.AddHandler((type, obj) => Events.Add((type, obj.Metadata.Name, obj)));
    }

    public ResourceInformer<T> Informer { get; }

    public Observed<(WatchEventType Type, string Name, T Object)> Events { get; } = new();

    public async Task StartAsync()
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var token = _stop.Token;
        _loop = Task.Run(() => Informer.RunAsync(token), CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await Informer.WaitForSyncAsync(timeout.Token);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    public Task<(WatchEventType Type, string Name, T Object)> SeenAsync(WatchEventType type, string name) =>
        Events.NextAsync(e => e.Type == type && e.Name == name, what: $"{type} {name}");

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
    }
}
