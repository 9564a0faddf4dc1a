using k8s;
using k8s.Models;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Informers;

/// <summary>
/// One informer per resource, C# type and options, for every user of a factory: users add handlers and indexes to it,
/// the factory lists and watches once, starts once and stops once.
/// </summary>
public sealed class SharedInformerFactoryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SharedInformerFactory Factory(ApiServer server) => new(server.Client, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

    private static Func<V1ConfigMap, IEnumerable<string>> ByValue => c => c.Data?.TryGetValue("value", out var v) == true ? [v] : [];

    [Fact]
    public async Task The_same_key_gives_the_same_informer_and_another_selector_type_or_transform_another()
    {
        await using var server = await ApiServer.StartAsync();
        await using var factory = Factory(server);

        var first = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps);
        var again = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps, new InformerOptions());
        var selected = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps, new InformerOptions { LabelSelector = "app" });
        var selectedAgain = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps, new InformerOptions { LabelSelector = "app" });
        var generic = factory.Informer<GenericObject>(ApiServer.ConfigMaps);
        var untransformed = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps, new InformerOptions { Transform = null });
        var inNamespace = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps, new InformerOptions { Namespace = "default" });

        Assert.Same(first, again);
        Assert.Same(selected, selectedAgain);
        Assert.NotSame(first, selected);
        Assert.NotSame((object)first, generic);
        Assert.NotSame(first, untransformed);
        Assert.NotSame(first, inNamespace);
        Assert.Equal(5, factory.Informers.Count);
    }

    [Fact]
    public async Task Handlers_of_two_users_are_both_called_from_one_watch()
    {
        await using var server = await ApiServer.StartAsync();
        await using var factory = Factory(server);
        var simulator = new Observed<string>();
        var operatorSide = new Observed<string>();
        factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps).AddHandler((_, obj) => simulator.Add(obj.Metadata.Name));
        factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps).AddHandler((_, obj) => operatorSide.Add(obj.Metadata.Name));
        factory.Start();
        await factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps).WaitForSyncAsync(Ct);

        await server.CreateConfigMapAsync("a");

        await simulator.NextAsync(n => n == "a", Timeout);
        await operatorSide.NextAsync(n => n == "a", Timeout);
        Assert.Equal(1, server.Server.Requests.Count("list", "configmaps"));
        Assert.Equal(1, server.Server.Requests.Count("watch", "configmaps"));
    }

    [Fact]
    public async Task A_handler_joining_a_running_informer_gets_a_replay_of_its_objects_only_when_it_asks()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a");
        await server.CreateConfigMapAsync("b");
        await using var factory = Factory(server);
        var informer = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps);
        factory.Start();
        await informer.WaitForSyncAsync(Ct);

        var replayed = new List<(WatchEventType, string)>();
        var later = new List<string>();
        informer.AddHandler(
            (type, obj) =>
            {
                lock (replayed)
                {
                    replayed.Add((type, obj.Metadata.Name));
                }
            },
            replayCached: true);
        informer.AddHandler((_, obj) =>
        {
            lock (later)
            {
                later.Add(obj.Metadata.Name);
            }
        });

        Assert.Equal([(WatchEventType.Added, "a"), (WatchEventType.Added, "b")], replayed.Order());
        Assert.Empty(later);
    }

    [Fact]
    public async Task Users_share_an_index_of_one_name_and_function_and_another_function_under_that_name_is_an_error()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a", value: "red");
        await using var factory = Factory(server);
        var informer = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps);
        informer.AddIndex("value", ByValue);
        factory.Start();
        await informer.WaitForSyncAsync(Ct);

        factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps).AddIndex("value", ByValue);
        var error = Assert.Throws<InvalidOperationException>(() =>
            factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps).AddIndex("value", c => [c.Metadata.Name]));

        Assert.Contains("another function", error.Message, StringComparison.Ordinal);
        Assert.Equal(["a"], informer.ByIndex("value", "red").Select(c => c.Metadata.Name));
    }

    [Fact]
    public async Task Start_runs_each_informer_once_later_ones_at_once_and_dispose_stops_them_once()
    {
        await using var server = await ApiServer.StartAsync();
        var factory = Factory(server);
        var configMaps = factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps);
        factory.Start();
        factory.Start();
        var secrets = factory.Informer<V1Secret>(ResourceType.Secret);
        factory.Start();
        await configMaps.WaitForSyncAsync(Ct);
        await secrets.WaitForSyncAsync(Ct);
        await UntilAsync(() => server.Server.Requests.Count("watch", "configmaps") == 1 && server.Server.Requests.Count("watch", "secrets") == 1);

        var seen = new Observed<string>();
        configMaps.AddHandler((_, obj) => seen.Add(obj.Metadata.Name));
        await factory.DisposeAsync();
        await factory.DisposeAsync();
        await server.CreateConfigMapAsync("after-stop");

        Assert.Equal(1, server.Server.Requests.Count("list", "configmaps"));
        Assert.Equal(1, server.Server.Requests.Count("list", "secrets"));
        Assert.Equal(1, server.Server.Requests.Count("watch", "configmaps"));
        Assert.False(seen.TryNext(out _));
        Assert.Throws<ObjectDisposedException>(() => factory.Informer<V1ConfigMap>(ApiServer.ConfigMaps));
        Assert.Throws<ObjectDisposedException>(factory.Start);
    }

    /// <summary>The informer's watch request follows its sync: wait for it to reach the server.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
