using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Informers;

/// <summary>The informer's list, watch, resume, relist, handlers and transforms; its indexes are <see cref="InformerIndexTests"/>'.</summary>
public sealed class ResourceInformerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_initial_list_fills_the_cache_and_raises_Added()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a");
        await server.CreateConfigMapAsync("b", value: "2");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);

        await informer.StartAsync();

        Assert.True(informer.Informer.HasSynced);
        Assert.Equal("2", informer.Informer.Get("default", "b")!.Data["value"]);
        Assert.Equal(["a", "b"], informer.Informer.List("default").Select(c => c.Metadata.Name).Order());
        var added = informer.Events.Drain();
        Assert.Equal(["a", "b"], added.Where(e => e.Type == WatchEventType.Added).Select(e => e.Name).Order());
    }

    [Fact]
    public async Task A_namespace_option_lists_and_watches_only_that_namespace()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a");
        await server.CreateConfigMapAsync("b", ns: "kube-public");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps, new InformerOptions { Namespace = "kube-public" });

        await informer.StartAsync();

        Assert.Equal(["b"], informer.Informer.List().Select(c => c.Metadata.Name));
        Assert.Null(informer.Informer.Get("default", "a"));
    }

    [Fact]
    public async Task Create_update_and_delete_after_sync_reach_the_cache_and_the_handlers()
    {
        await using var server = await ApiServer.StartAsync();
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        await informer.StartAsync();

        await server.CreateConfigMapAsync("a");
        await informer.SeenAsync(WatchEventType.Added, "a");
        Assert.NotNull(informer.Informer.Get("default", "a"));

        await server.UpdateConfigMapAsync("a", "changed");
        var modified = await informer.SeenAsync(WatchEventType.Modified, "a");
        Assert.Equal("changed", modified.Object.Data["value"]);
        Assert.Equal("changed", informer.Informer.Get("default", "a")!.Data["value"]);

        await server.DeleteConfigMapAsync("a");
        await informer.SeenAsync(WatchEventType.Deleted, "a");
        Assert.Null(informer.Informer.Get("default", "a"));
    }

    [Fact]
    public async Task After_the_server_ends_a_watch_the_informer_resumes_without_missing_events()
    {
        await using var server = await ApiServer.StartAsync();
        // timeoutSeconds=1: the server closes the watch every second, so the writes below span several reconnects.
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps, new InformerOptions { MinWatchTimeout = TimeSpan.FromSeconds(1) });
        await informer.StartAsync();
        var names = Enumerable.Range(0, 30).Select(i => $"cm-{i:00}").ToList();

        foreach (var name in names)
        {
            await server.CreateConfigMapAsync(name);
            await Task.Delay(80, Ct); // spread the writes over ~2.5 s of watch reconnects
        }

        foreach (var name in names)
        {
            await informer.SeenAsync(WatchEventType.Added, name);
        }

        Assert.Equal(names, informer.Informer.List().Select(c => c.Metadata.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_watch_dropped_by_the_server_is_resumed_and_changes_made_meanwhile_arrive()
    {
        await using var server = await ApiServer.StartAsync();
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps, new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(50) });
        await informer.StartAsync();
        await server.CreateConfigMapAsync("before");
        await informer.SeenAsync(WatchEventType.Added, "before");

        server.Server.Faults.DropWatches();
        await server.CreateConfigMapAsync("after");
        await server.DeleteConfigMapAsync("before");

        await informer.SeenAsync(WatchEventType.Added, "after");
        await informer.SeenAsync(WatchEventType.Deleted, "before");
        Assert.Equal(["after"], informer.Informer.List().Select(c => c.Metadata.Name));
    }

    [Fact]
    public async Task A_restarted_informer_resumes_from_its_resourceVersion_and_sees_what_happened_meanwhile()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("gone");
        await server.CreateConfigMapAsync("kept");
        var type = ApiServer.ConfigMaps;
        await using var informer = new RunningInformer<V1ConfigMap>(server, type);
        await informer.StartAsync();
        await informer.StopAsync();

        await server.DeleteConfigMapAsync("gone");
        await server.CreateConfigMapAsync("new");
        await informer.StartAsync();

        await informer.SeenAsync(WatchEventType.Deleted, "gone");
        await informer.SeenAsync(WatchEventType.Added, "new");
        Assert.Equal(["kept", "new"], informer.Informer.List().Select(c => c.Metadata.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_410_on_resume_relists_and_the_diff_raises_Deleted_for_objects_that_vanished()
    {
        // History of 5 events: a watch resuming from before them gets 410 Expired.
        await using var server = await ApiServer.StartAsync(watchHistoryLimit: 5);
        var type = await GadgetCrd.InstallAsync(server, "relistgadgets");
        await GadgetCrd.CreateAsync(server, type, "gone");
        await GadgetCrd.CreateAsync(server, type, "changed");
        await GadgetCrd.CreateAsync(server, type, "same");
        var relistsBefore = GadgetCrd.Relists(type);
        await using var informer = new RunningInformer<GenericObject>(server, type);
        await informer.StartAsync();
        Assert.Equal(relistsBefore + 1, GadgetCrd.Relists(type));
        await informer.StopAsync();
        informer.Events.Drain();

        await server.Rest.DeleteAsync(type, "default", "gone", Ct);
        await server.Rest.PatchAsync<GenericObject>(type, "default", "changed", new { spec = new { size = 2 } }, Ct);
        await GadgetCrd.CreateAsync(server, type, "new");
        for (var i = 0; i < 6; i++)
        {
            await server.CreateConfigMapAsync($"filler-{i}"); // pushes the informer's resourceVersion out of the history
        }

        await informer.StartAsync();

        await informer.SeenAsync(WatchEventType.Deleted, "gone");
        await informer.SeenAsync(WatchEventType.Modified, "changed");
        await informer.SeenAsync(WatchEventType.Added, "new");
        Assert.Equal(relistsBefore + 2, GadgetCrd.Relists(type));
        Assert.Equal(["changed", "new", "same"], informer.Informer.List().Select(g => g.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(informer.Events.Drain(), e => e.Name == "same");
    }

    [Fact]
    public async Task A_handler_that_throws_does_not_stop_the_other_handlers_or_the_informer()
    {
        await using var server = await ApiServer.StartAsync();
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        informer.Informer.AddHandler((_, _) => throw new InvalidOperationException("boom"));
        await informer.StartAsync();

        await server.CreateConfigMapAsync("a");
        await server.CreateConfigMapAsync("b");

        await informer.SeenAsync(WatchEventType.Added, "a");
        await informer.SeenAsync(WatchEventType.Added, "b");
    }

    [Fact]
    public async Task A_removed_handler_is_no_longer_called()
    {
        await using var server = await ApiServer.StartAsync();
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        var removed = new Observed<string>();
        informer.Informer.AddHandler((_, obj) => removed.Add(obj.Metadata.Name)).Dispose();
        await informer.StartAsync();

        await server.CreateConfigMapAsync("a");
        await informer.SeenAsync(WatchEventType.Added, "a");

        Assert.Empty(removed.Drain());
    }

    [Fact]
    public async Task Cached_objects_and_handler_events_have_no_managedFields_by_default()
    {
        await using var server = await ApiServer.StartAsync();
        var created = await server.CreateConfigMapAsync("listed");
        Assert.NotEmpty(created.Metadata.ManagedFields); // the server does write them
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps);
        await informer.StartAsync();

        await server.CreateConfigMapAsync("watched");
        var watched = await informer.SeenAsync(WatchEventType.Added, "watched");

        Assert.Null(watched.Object.Metadata.ManagedFields);
        Assert.Null(informer.Informer.Get("default", "listed")!.Metadata.ManagedFields);
        Assert.Null(informer.Informer.Get("default", "watched")!.Metadata.ManagedFields);
    }

    [Fact]
    public async Task A_null_transform_keeps_objects_as_the_server_sent_them()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps, new InformerOptions { Transform = null });

        await informer.StartAsync();

        Assert.NotEmpty(informer.Informer.Get("default", "a")!.Metadata.ManagedFields);
    }

    [Fact]
    public async Task A_transform_applies_to_listed_and_watched_objects_before_the_cache_and_the_handlers()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("listed");
        var options = new InformerOptions
        {
            Transform = obj =>
            {
                ((V1ConfigMap)obj).Data["seen"] = "yes";
                return obj;
            },
        };
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps, options);
        await informer.StartAsync();

        await server.CreateConfigMapAsync("watched");
        var watched = await informer.SeenAsync(WatchEventType.Added, "watched");
        await server.DeleteConfigMapAsync("watched");
        var deleted = await informer.SeenAsync(WatchEventType.Deleted, "watched");

        Assert.Equal("yes", watched.Object.Data["seen"]);
        Assert.Equal("yes", deleted.Object.Data["seen"]);
        Assert.Equal("yes", informer.Informer.Get("default", "listed")!.Data["seen"]);
    }

    [Fact]
    public async Task StripManagedFieldSets_keeps_each_writer_and_time_without_its_field_set()
    {
        await using var server = await ApiServer.StartAsync();
        await server.CreateConfigMapAsync("a");
        await using var informer = new RunningInformer<V1ConfigMap>(server, ApiServer.ConfigMaps, new InformerOptions { Transform = InformerTransforms.StripManagedFieldSets });

        await informer.StartAsync();

        var entry = Assert.Single(informer.Informer.Get("default", "a")!.Metadata.ManagedFields);
        Assert.NotNull(entry.Time);
        Assert.NotNull(entry.Manager);
        Assert.Equal("Update", entry.Operation);
        Assert.Null(entry.FieldsV1);
    }
}
