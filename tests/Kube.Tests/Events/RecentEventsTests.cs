using Vers.Kube.Events;

namespace Vers.Kube.Tests.Events;

/// <summary>An identical event is published once per window; the table of recent events stays bounded.</summary>
public sealed class RecentEventsTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_same_event_within_the_window_is_dropped()
    {
        var recent = new RecentEvents(Window);

        Assert.True(recent.TryRecord("uid-1", "Normal", "Created", "created x", T0));
        Assert.False(recent.TryRecord("uid-1", "Normal", "Created", "created x", T0 + Window - TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void The_same_event_after_the_window_is_published_again()
    {
        var recent = new RecentEvents(Window);

        Assert.True(recent.TryRecord("uid-1", "Normal", "Created", "created x", T0));
        Assert.True(recent.TryRecord("uid-1", "Normal", "Created", "created x", T0 + Window));
    }

    [Theory]
    [InlineData("uid-2", "Normal", "Created", "created x")]
    [InlineData("uid-1", "Warning", "Created", "created x")]
    [InlineData("uid-1", "Normal", "Failed", "created x")]
    [InlineData("uid-1", "Normal", "Created", "created y")]
    [InlineData("uid-1N", "ormal", "Created", "created x")]
    public void An_event_differing_in_any_part_is_published(string uid, string type, string reason, string note)
    {
        var recent = new RecentEvents(Window);
        recent.TryRecord("uid-1", "Normal", "Created", "created x", T0);

        Assert.True(recent.TryRecord(uid, type, reason, note, T0));
    }

    [Fact]
    public void The_table_never_holds_more_than_its_capacity_and_keeps_the_newest()
    {
        var recent = new RecentEvents(Window, capacity: 100);
        for (var i = 0; i < 10_000; i++)
        {
            recent.TryRecord($"uid-{i}", "Normal", "Created", "created", T0 + TimeSpan.FromMilliseconds(i));
            Assert.True(recent.Count <= recent.Capacity, $"{recent.Count} entries after {i + 1} events");
        }

        var now = T0 + TimeSpan.FromMilliseconds(10_000);
        Assert.False(recent.TryRecord("uid-9999", "Normal", "Created", "created", now));
        Assert.True(recent.TryRecord("uid-0", "Normal", "Created", "created", now));
    }

    [Fact]
    public void Entries_past_the_window_leave_before_newer_ones()
    {
        var recent = new RecentEvents(Window, capacity: 10);
        for (var i = 0; i < 8; i++)
        {
            recent.TryRecord($"old-{i}", "Normal", "Created", "created", T0);
        }

        var later = T0 + Window + TimeSpan.FromSeconds(1);
        for (var i = 0; i < 3; i++)
        {
            recent.TryRecord($"new-{i}", "Normal", "Created", "created", later);
        }

        Assert.Equal(3, recent.Count);
    }
}
