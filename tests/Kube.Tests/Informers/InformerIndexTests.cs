using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Informers;

/// <summary>The informer's indexes, and lists by namespace.</summary>
public sealed class InformerIndexTests
{
    private static Func<V1ConfigMap, IEnumerable<string>> ByValue => c => c.Data?.TryGetValue("value", out var v) == true ? [v] : [];

    private static List<string> Names<T>(IEnumerable<T> objects)
        where T : IKubernetesObject<V1ObjectMeta> =>
        objects.Select(o => o.Metadata.Name).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task ByIndex_returns_only_the_objects_indexed_under_the_value()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a", value: "red");
        await server.CreateConfigMapAsync("b", value: "blue");
        await server.CreateConfigMapAsync("c", ns: "kube-public", value: "red");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        informer.Informer.AddIndex("value", ByValue);

        await informer.StartAsync();

        Assert.Equal(["a", "c"], Names(informer.Informer.ByIndex("value", "red")));
        Assert.Equal(["b"], Names(informer.Informer.ByIndex("value", "blue")));
        Assert.Empty(informer.Informer.ByIndex("value", "green"));
    }

    [Fact]
    public async Task An_object_may_be_indexed_under_several_values_or_none()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a", value: "red,blue");
        await server.CreateConfigMapAsync("b", value: "");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        informer.Informer.AddIndex("colours", c => c.Data["value"].Split(',', StringSplitOptions.RemoveEmptyEntries));

        await informer.StartAsync();

        Assert.Equal(["a"], Names(informer.Informer.ByIndex("colours", "red")));
        Assert.Equal(["a"], Names(informer.Informer.ByIndex("colours", "blue")));
        Assert.Empty(informer.Informer.ByIndex("colours", ""));
    }

    [Fact]
    public async Task An_index_follows_an_update_from_the_old_value_to_the_new_one()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a", value: "red");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        informer.Informer.AddIndex("value", ByValue);
        await informer.StartAsync();

        await server.UpdateConfigMapAsync("a", "blue");
        await informer.SeenAsync(WatchEventType.Modified, "a");

        Assert.Empty(informer.Informer.ByIndex("value", "red"));
        var moved = Assert.Single(informer.Informer.ByIndex("value", "blue"));
        Assert.Equal("blue", moved.Data["value"]);
    }

    [Fact]
    public async Task An_index_drops_a_deleted_object()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a", value: "red");
        await server.CreateConfigMapAsync("b", value: "red");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        informer.Informer.AddIndex("value", ByValue);
        await informer.StartAsync();

        await server.DeleteConfigMapAsync("a");
        await informer.SeenAsync(WatchEventType.Deleted, "a");

        Assert.Equal(["b"], Names(informer.Informer.ByIndex("value", "red")));
    }

    [Fact]
    public async Task An_index_follows_a_relist_after_410()
    {
        await using var server = await ApiServer.StartAsync(watchHistoryLimit: 5);
        await server.CreateConfigMapAsync("gone", value: "red");
        await server.CreateConfigMapAsync("moved", value: "red");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        informer.Informer.AddIndex("value", ByValue);
        await informer.StartAsync();
        await informer.StopAsync();

        await server.DeleteConfigMapAsync("gone");
        await server.UpdateConfigMapAsync("moved", "blue");
        for (var i = 0; i < 6; i++)
        {
            await server.CreateConfigMapAsync($"filler-{i}", ns: "kube-public"); // pushes the informer's resourceVersion out of the history
        }

        await informer.StartAsync();
        await informer.SeenAsync(WatchEventType.Deleted, "gone");
        await informer.SeenAsync(WatchEventType.Modified, "moved");

        Assert.Empty(informer.Informer.ByIndex("value", "red"));
        Assert.Equal(["moved"], Names(informer.Informer.ByIndex("value", "blue")));
    }

    [Fact]
    public async Task An_index_added_after_sync_covers_the_objects_already_cached()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a", value: "red");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        await informer.StartAsync();

        informer.Informer.AddIndex("value", ByValue);

        Assert.Equal(["a"], Names(informer.Informer.ByIndex("value", "red")));
    }

    [Fact]
    public async Task List_of_a_namespace_returns_only_that_namespaces_objects_and_follows_deletes()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a");
        await server.CreateConfigMapAsync("b");
        await server.CreateConfigMapAsync("c", ns: "kube-public");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        await informer.StartAsync();

        await server.DeleteConfigMapAsync("b");
        await informer.SeenAsync(WatchEventType.Deleted, "b");

        Assert.Equal(["a"], Names(informer.Informer.List("default")));
        Assert.Equal(["c"], Names(informer.Informer.List("kube-public")));
        Assert.Empty(informer.Informer.List("kube-system"));
    }

    [Fact]
    public async Task An_index_name_holds_one_function_and_an_unknown_one_is_an_error()
    {
        await using var server = await ApiServer.StartAsync();
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        informer.Informer.AddIndex("value", ByValue);

        // The same index again (another user of a shared informer) is that index; another function under its name is not.
        informer.Informer.AddIndex("value", ByValue);
        Assert.Throws<InvalidOperationException>(() => informer.Informer.AddIndex("value", c => [c.Metadata.Name]));
        Assert.Throws<InvalidOperationException>(() => informer.Informer.ByIndex("colour", "red"));
    }
}
