using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.Operator.Forks;

/// <summary>
/// The source commit must stay whole until the new VM's disks are populated: a VirtualMachineSnapshot deleted, or
/// no longer readyToUse (KubeVirt reports a deleted VolumeSnapshot that way), fails the fork at once instead of leaving
/// KubeVirt or CDI waiting on a source that will never come back. The fork is woken by the source snapshot's events
/// (<see cref="ForkIndex"/>).
/// </summary>
public static class SourceGuard
{
    /// <summary>
    /// The source VirtualMachineSnapshot, still there and ready; anything else fails the fork with SourceLost. Read from
    /// the cache; only when the cache says gone or not ready is the API server asked first: the cache may merely lag
    /// (the fork may have resolved its source from the API server before the snapshot's informer delivered it).
    /// </summary>
    public static async Task<GenericObject> RequireAsync(ForkServices services, ForkContext fork, CancellationToken ct)
    {
        var ns = fork.SourceNamespace;
        var name = fork.Source.Snapshot!;
        var cached = services.Caches.Snapshots.Get(ns, name);
        if (Problem(fork, cached) is null)
        {
            return cached!;
        }

        var live = await services.Client.TryGetAsync<GenericObject>(KubeVirtTypes.VirtualMachineSnapshot, ns, name, ct);
        return Problem(fork, live) is { } lost ? throw lost : live!;
    }

    private static ForkFailedException? Problem(ForkContext fork, GenericObject? snapshot)
    {
        var what = ForkContext.Describe("VirtualMachineSnapshot", fork.SourceNamespace, fork.Source.Snapshot!);
        if (snapshot is null || snapshot.Metadata.DeletionTimestamp is not null)
        {
            return new ForkFailedException(ForkReasons.SourceLost, $"source commit {fork.Source.CommitId}: {what} was deleted while the fork needed it");
        }

        var status = snapshot.Status;
        if (status?["readyToUse"]?.GetValue<bool>() != true)
        {
            var why = (string?)status?["error"]?["message"] ?? "readyToUse is false";
            return new ForkFailedException(ForkReasons.SourceLost, $"source commit {fork.Source.CommitId}: {what} is no longer ready to use: {why}");
        }

        return null;
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
