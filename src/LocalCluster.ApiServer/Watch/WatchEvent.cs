using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Watch;

/// <summary>
/// One change in storage. <see cref="Object"/> is the state after the change (for DELETED: the last state with the
/// deletion revision); <see cref="Previous"/> the state before, used for selector transitions. Both are never mutated.
/// </summary>
internal sealed record WatchEvent(long Revision, string Bucket, string Type, StoredObject Object, StoredObject? Previous);
