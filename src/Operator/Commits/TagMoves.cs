using System.Collections.Concurrent;
using k8s;
using Vers.Api;
using Vers.Kube;

namespace Vers.Operator.Commits;

/// <summary>
/// Maps a Tag's events to the Commits they concern: the one it points at and, when it moved, the one it pointed at
/// before — a deleted Commit waiting for that Tag to leave. An update event carries only the new object, so the last
/// commit each Tag pointed at is remembered here (one entry per Tag, dropped with it).
/// </summary>
public sealed class TagMoves
{
    private readonly ConcurrentDictionary<ObjectKey, string> _pointsAt = new();

    public IEnumerable<ObjectKey> CommitsOf(WatchEventType type, Tag tag)
    {
        var key = ObjectKey.Of(tag);
        var ns = tag.Metadata.NamespaceProperty;
        string? before;
        if (type == WatchEventType.Deleted)
        {
            _pointsAt.TryRemove(key, out before);
        }
        else
        {
            _pointsAt.TryGetValue(key, out before);
            _pointsAt[key] = tag.Spec.CommitId;
        }

        var keys = new List<ObjectKey>(2);
        if (!string.IsNullOrEmpty(tag.Spec.CommitId))
        {
            keys.Add(new ObjectKey(ns, tag.Spec.CommitId));
        }

        if (!string.IsNullOrEmpty(before) && before != tag.Spec.CommitId)
        {
            keys.Add(new ObjectKey(ns, before));
        }

        return keys;
    }
}
