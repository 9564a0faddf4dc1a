using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>The watch history lets go of events older than the watch cache's fresh duration, however few came after them.</summary>
public sealed class WatchHistoryExpiryTests
{
    private static WatchEvent Event(long revision) =>
        new(revision, "configmaps", "ADDED", StoredObject.From(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = $"cm-{revision}", ["namespace"] = "default", ["uid"] = $"uid-{revision}", ["resourceVersion"] = $"{revision}" },
        }), null);

    [Fact]
    public void Events_older_than_the_fresh_duration_leave_when_the_next_is_published()
    {
        var time = new FakeTimeProvider();
        var hub = new WatchHub(historyLimit: 100, startRevision: 0, time);
        hub.Publish(Event(1));
        hub.Publish(Event(2));
        time.Advance(WatchHub.FreshFor + TimeSpan.FromSeconds(1));
        hub.Publish(Event(3));

        Assert.Equal(2, hub.CompactedRevision);
        Assert.Equal([3L], hub.EventsAfter("configmaps", 2).Select(e => e.Revision));
    }

    [Fact]
    public void Fresh_events_stay_and_an_idle_hub_drops_expired_ones_when_a_watch_stops()
    {
        var time = new FakeTimeProvider();
        var hub = new WatchHub(historyLimit: 100, startRevision: 0, time);
        hub.Publish(Event(1));
        time.Advance(WatchHub.FreshFor / 2);
        hub.Publish(Event(2));
        var watch = hub.Subscribe("configmaps", fromRevision: 0);
        Assert.Equal(0, hub.CompactedRevision);

        time.Advance(WatchHub.FreshFor + TimeSpan.FromSeconds(1));
        hub.Remove(watch);

        Assert.Equal(2, hub.CompactedRevision);
        Assert.Empty(hub.EventsAfter("configmaps", 2));
    }

    [Fact]
    public void The_limit_still_bounds_a_busy_history()
    {
        var hub = new WatchHub(historyLimit: 2, startRevision: 0, new FakeTimeProvider());
        for (var rv = 1; rv <= 5; rv++)
        {
            hub.Publish(Event(rv));
        }

        Assert.Equal(3, hub.CompactedRevision);
        Assert.Equal([4L, 5L], hub.EventsAfter("configmaps", 3).Select(e => e.Revision));
    }
}
