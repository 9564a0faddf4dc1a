using System.Text.Json.Nodes;

namespace Vers.LocalCluster.Api.Watch;

/// <summary>
/// One change in storage. <see cref="Object"/> is the state after the change (for DELETED: the last state with the
/// deletion revision); <see cref="Previous"/> the state before, used for selector transitions. Both are never mutated.
/// </summary>
internal sealed record WatchEvent(long Revision, string Bucket, string Type, JsonObject Object, JsonObject? Previous)
{
    // A reference swapped whole: watchers on other threads read it without a lock.
    private Tuple<string, byte[]>? _rendered;

    /// <summary>
    /// The event as a watcher writes it, rendered by the first watcher that needs it and shared by the others of
    /// the same rendering (<paramref name="key"/>: event type and API version), so an event is serialized once, not
    /// once per watcher. One slot: watchers of another version render their own.
    /// </summary>
    public byte[] Rendered(string key, Func<byte[]> render)
    {
        if (Volatile.Read(ref _rendered) is { } cached && cached.Item1 == key)
        {
            return cached.Item2;
        }

        var line = render();
        Volatile.Write(ref _rendered, Tuple.Create(key, line));
        return line;
    }
}
