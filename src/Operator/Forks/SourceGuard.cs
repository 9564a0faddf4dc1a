using System.Text.Json.Nodes;
using Vers.Operator.Runtime;

namespace Vers.Operator.Forks;

/// <summary>
/// The source commit must stay whole until the new VM's disks are populated: a VirtualMachineSnapshot deleted, or
/// no longer readyToUse (KubeVirt reports a deleted VolumeSnapshot that way), fails the fork at once instead of leaving
/// KubeVirt or CDI waiting on a source that will never come back. The fork is woken by the source snapshot's events
/// (<see cref="ForkIndex"/>).
/// </summary>
public static class SourceGuard
{
    /// <summary>The cached source VirtualMachineSnapshot, still there and ready; anything else fails the fork with SourceLost.</summary>
    public static GenericObject Require(ForkServices services, ForkContext fork)
    {
        var ns = fork.SourceNamespace;
        var name = fork.Source.Snapshot!;
        var what = ForkContext.Describe("VirtualMachineSnapshot", ns, name);
        var snapshot = services.Caches.Snapshots.Get(ns, name);
        if (snapshot is null || snapshot.Metadata.DeletionTimestamp is not null)
        {
            throw new ForkFailedException(ForkReasons.SourceLost, $"source commit {fork.Source.CommitId}: {what} was deleted while the fork needed it");
        }

        var status = snapshot.Status;
        if (status?["readyToUse"]?.GetValue<bool>() != true)
        {
            var why = (string?)status?["error"]?["message"] ?? "readyToUse is false";
            throw new ForkFailedException(ForkReasons.SourceLost, $"source commit {fork.Source.CommitId}: {what} is no longer ready to use: {why}");
        }

        return snapshot;
    }

    /// <summary>The message of a condition of <paramref name="status"/> (or its reason), for failure messages.</summary>
    public static string ConditionMessage(JsonObject? status, string type)
    {
        var condition = (status?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        var reason = (string?)condition?["reason"];
        var message = (string?)condition?["message"];
        return (reason, message) switch
        {
            ({ Length: > 0 } r, { Length: > 0 } m) when r != m => $"{r}: {m}",
            (_, { Length: > 0 } m) => m,
            ({ Length: > 0 } r, _) => r,
            _ => "no details",
        };
    }
}
