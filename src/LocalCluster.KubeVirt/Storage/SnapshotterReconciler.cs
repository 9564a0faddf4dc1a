using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Storage;

/// <summary>
/// Plays the CSI external-snapshotter (common controller and sidecar) with the simulated driver on VolumeSnapshots
/// taken of a claim (pkg/common-controller/snapshot_controller.go <c>syncSnapshot</c>, pkg/sidecar-controller
/// <c>createSnapshotWrapper</c>):
/// <list type="bullet">
/// <item>finalizers <c>volumesnapshot-as-source-protection</c> and <c>volumesnapshot-bound-protection</c>;</item>
/// <item>the class, before any finalizer (<c>checkAndUpdateSnapshotClass</c>): the one named must exist (GetSnapshotClassFailed),
/// else the default class of the volume's driver is written into the spec (<c>SetDefaultSnapshotClass</c>); none, or an
/// unbound source claim, sets <c>status.error</c> with upstream's message (SetDefaultSnapshotClassFailed or
/// SnapshotContentCreationFailed) and retries (<c>updateSnapshotErrorStatusWithEvent</c>);</item>
/// <item>a VolumeSnapshotContent <c>snapcontent-&lt;snapshot uid&gt;</c> (cluster-scoped) bound to it, then — one progress
/// step later — <c>readyToUse</c> with the snapshot's <c>creationTime</c> and <c>restoreSize</c> = the volume's capacity
/// (the driver's <c>SizeBytes</c>), copied to the VolumeSnapshot (<c>updateSnapshotStatus</c>), with events
/// CreatingSnapshot, SnapshotCreated and SnapshotReady;</item>
/// <item>deleting a VolumeSnapshot deletes its content (deletionPolicy Delete) and releases the finalizers once it is gone,
/// but not while a Pending claim still restores from it (SnapshotDeletePending).</item>
/// </list>
/// A VolumeSnapshot chosen to fail (<c>--sim-fault fail=volumesnapshots</c>) gets the driver's error and stays not ready.
/// </summary>
internal sealed class SnapshotterReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "VolumeSnapshot";
    private const string Component = "snapshot-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject snapshot, CancellationToken ct)
    {
        snapshot = ctx.Newest(KubeVirtTypes.VolumeSnapshot, snapshot);
        if (snapshot.Metadata.DeletionTimestamp is not null)
        {
            return await DeleteAsync(snapshot, ct);
        }

        var ns = snapshot.Metadata.NamespaceProperty;
        var spec = snapshot.Spec ?? [];
        var status = snapshot.Status;
        if ((bool?)status?["readyToUse"] == true)
        {
            return ReconcileResult.Done;
        }

        if ((string?)spec["source"]?["persistentVolumeClaimName"] is not { } claimName)
        {
            return ReconcileResult.Done;
        }

        var claim = ctx.Get(KubeVirtTypes.PersistentVolumeClaim, ns, claimName);
        var volume = (string?)claim?.Spec?["volumeName"] is { } volumeName ? ctx.Get(KubeVirtTypes.PersistentVolume, null, volumeName) : null;
        var driver = (string?)volume?.Spec?["csi"]?["driver"];
        if (driver is not null && !SimulatedStorage.IsOurs(driver))
        {
            return ReconcileResult.Done;
        }

        var className = (string?)spec["volumeSnapshotClassName"];
        if (className is null)
        {
            // snapshot_controller_base.go checkAndUpdateSnapshotClass → SetDefaultSnapshotClass, before syncSnapshot: the one
            // default class of the volume's driver is written into the spec; finding none (the claim not yet bound
            // included) is SetDefaultSnapshotClassFailed, with readyToUse left alone and no finalizer added.
            var (defaultClass, problem) = DefaultClassFor(claimName, claim, driver);
            if (problem is not null)
            {
                var message = $"Failed to set default snapshot class with error {problem}";
                await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
                {
                    ["error"] = new JsonObject { ["message"] = message, ["time"] = (string?)status?["error"]?["time"] ?? ctx.Now() },
                }, ct);
                await ctx.Events(Component).WarningAsync(snapshot, "SetDefaultSnapshotClassFailed", "CreateSnapshot", message, ct);
                // Re-evaluated when the claim binds (the claim's events map here) — upstream retries with backoff.
                return ReconcileResult.Done;
            }

            snapshot = await ctx.PatchAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
            {
                ["spec"] = new JsonObject { ["volumeSnapshotClassName"] = defaultClass },
            }, ct);
            className = defaultClass;
        }
        else if (ctx.Get(KubeVirtTypes.VolumeSnapshotClass, null, className) is null)
        {
            // checkAndUpdateSnapshotClass → getSnapshotClass: a named class that does not exist is GetSnapshotClassFailed,
            // again before any finalizer.
            var message = $"Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io \"{className}\" not found";
            if ((string?)status?["error"]?["message"] != message)
            {
                await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
                {
                    ["error"] = new JsonObject { ["message"] = message, ["time"] = ctx.Now() },
                }, ct);
                await ctx.Events(Component).WarningAsync(snapshot, "GetSnapshotClassFailed", "CreateSnapshot", message, ct);
            }

            // The classes' events bring the snapshot back when the class appears — upstream retries with backoff.
            return ReconcileResult.Done;
        }

        snapshot = await ctx.AddFinalizerAsync(KubeVirtTypes.VolumeSnapshot, snapshot, StorageKeys.VolumeSnapshotAsSourceFinalizer, ct);
        var snapshotClass = className is null ? null : ctx.Get(KubeVirtTypes.VolumeSnapshotClass, null, className);
        var contentName = $"snapcontent-{snapshot.Metadata.Uid}";
        var content = ctx.Get(KubeVirtTypes.VolumeSnapshotContent, null, contentName);
        if (content is null)
        {
            var problem = (string?)claim?.Fields["status"]?["phase"] != "Bound" || volume is null
                ? $"the PVC {claimName} is not yet bound to a PV, will not attempt to take a snapshot"
                : snapshotClass is null ? $"failed to take snapshot {snapshot.Metadata.Name} without a snapshot class"
                : (string?)snapshotClass.Fields["driver"] != driver ? $"failed to take snapshot {snapshot.Metadata.Name} without a snapshot class"
                : null;
            if (problem is not null)
            {
                var message = $"Failed to create snapshot content with error failed to get input parameters to create snapshot {snapshot.Metadata.Name}: \"{problem}\"";
                await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
                {
                    ["readyToUse"] = false,
                    ["error"] = new JsonObject { ["message"] = message, ["time"] = (string?)status?["error"]?["time"] ?? ctx.Now() },
                }, ct);
                await ctx.Events(Component).WarningAsync(snapshot, "SnapshotContentCreationFailed", "CreateSnapshot", message, ct);
                // Re-evaluated when the claim binds (the claim's events map here) — upstream retries with backoff.
                return ReconcileResult.Done;
            }

            content = await ctx.CreateOrGetAsync(KubeVirtTypes.VolumeSnapshotContent, Content(snapshot, contentName, snapshotClass!, volume!), ct);
            await ctx.Events(Component).NormalAsync(snapshot, "CreatingSnapshot", "CreateSnapshot",
                $"Waiting for a snapshot {ns}/{snapshot.Metadata.Name} to be created by the CSI driver.", ct);
        }

        snapshot = await ctx.AddFinalizerAsync(KubeVirtTypes.VolumeSnapshot, snapshot, StorageKeys.VolumeSnapshotBoundFinalizer, ct);
        if (ctx.Fails(ctx.VolumeSnapshots, Kind, snapshot))
        {
            var failure = $"Failed to check and update snapshot content: failed to take snapshot of the volume {(string?)content.Spec?["source"]?["volumeHandle"]}: \"simulated CSI driver error (--sim-fault fail=volumesnapshots)\"";
            await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshotContent, content, new JsonObject
            {
                ["readyToUse"] = false,
                ["error"] = new JsonObject { ["message"] = failure, ["time"] = ctx.Now() },
            }, ct);
            await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
            {
                ["boundVolumeSnapshotContentName"] = contentName,
                ["readyToUse"] = false,
                ["error"] = new JsonObject { ["message"] = failure, ["time"] = ctx.Now() },
            }, ct);
            await ctx.Events(Component).WarningAsync(snapshot, "SnapshotContentCheckandUpdateFailed", "CreateSnapshot", failure, ct);
            return ReconcileResult.Done;
        }

        var left = ctx.Remaining(Kind, snapshot, "cut");
        if (left > TimeSpan.Zero)
        {
            await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
            {
                ["boundVolumeSnapshotContentName"] = contentName,
                ["readyToUse"] = false,
            }, ct);
            return ReconcileResult.After(left);
        }

        // The sidecar's CreateSnapshot answer: handle, creation time (unix ns), size in bytes = the volume's capacity.
        var created = ctx.Time.GetUtcNow();
        var capacity = SimulatedStorage.Bytes(volume?.Spec?["capacity"]?["storage"]) ?? SimulatedStorage.Allocate(0);
        if ((bool?)content.Status?["readyToUse"] != true)
        {
            content = await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshotContent, content, new JsonObject
            {
                ["snapshotHandle"] = $"snap-{snapshot.Metadata.Uid}",
                ["creationTime"] = created.ToUnixTimeMilliseconds() * 1_000_000L,
                ["readyToUse"] = true,
                ["restoreSize"] = capacity,
            }, ct);
        }

        var restoreSize = (long?)content.Status?["restoreSize"] ?? capacity;
        await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
        {
            ["boundVolumeSnapshotContentName"] = contentName,
            ["creationTime"] = SimulatorContext.Timestamp(created),
            ["readyToUse"] = true,
            ["restoreSize"] = SimulatedStorage.Format(restoreSize),
            ["error"] = null,
        }, ct);
        var events = ctx.Events(Component);
        await events.NormalAsync(snapshot, "SnapshotCreated", "CreateSnapshot", $"Snapshot {ns}/{snapshot.Metadata.Name} was successfully created by the CSI driver.", ct);
        await events.NormalAsync(snapshot, "SnapshotReady", "CreateSnapshot", $"Snapshot {ns}/{snapshot.Metadata.Name} is ready to use.", ct);
        ctx.Forget(snapshot.Metadata.Uid);
        return ReconcileResult.Done;
    }

    /// <summary>snapshot_controller.go <c>processSnapshotWithDeletionTimestamp</c>.</summary>
    private async Task<ReconcileResult> DeleteAsync(GenericObject snapshot, CancellationToken ct)
    {
        var ns = snapshot.Metadata.NamespaceProperty;
        var restoring = ctx.Claims.List(ns).Any(c => (string?)c.Status?["phase"] != "Bound" && c.Metadata.DeletionTimestamp is null
            && ClaimReconciler.SnapshotSource(c.Spec ?? []) == snapshot.Metadata.Name);
        if (restoring)
        {
            await ctx.Events(Component).WarningAsync(snapshot, "SnapshotDeletePending", "DeleteSnapshot", "Snapshot is being used to restore a PVC", ct);
            return ReconcileResult.After(TimeSpan.FromSeconds(5));
        }

        var contentName = (string?)snapshot.Status?["boundVolumeSnapshotContentName"] ?? $"snapcontent-{snapshot.Metadata.Uid}";
        var content = ctx.Get(KubeVirtTypes.VolumeSnapshotContent, null, contentName);
        if (content is not null && (string?)content.Spec?["deletionPolicy"] == "Delete")
        {
            if (content.Metadata.DeletionTimestamp is null)
            {
                await ctx.DeleteAsync(KubeVirtTypes.VolumeSnapshotContent, null, contentName, ct);
            }

            // The bound finalizer stays until the content is gone (its DELETED event brings us back).
            await ctx.RemoveFinalizerAsync(KubeVirtTypes.VolumeSnapshotContent, content, StorageKeys.VolumeSnapshotContentFinalizer, ct);
            return ReconcileResult.Done;
        }

        var finalizers = snapshot.Metadata.Finalizers ?? [];
        if (finalizers.Contains(StorageKeys.VolumeSnapshotAsSourceFinalizer) || finalizers.Contains(StorageKeys.VolumeSnapshotBoundFinalizer))
        {
            await ctx.PatchAsync(KubeVirtTypes.VolumeSnapshot, snapshot, new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["finalizers"] = new JsonArray([.. finalizers
                        .Where(f => f is not StorageKeys.VolumeSnapshotAsSourceFinalizer and not StorageKeys.VolumeSnapshotBoundFinalizer)
                        .Select(f => (JsonNode)f)]),
                    ["resourceVersion"] = snapshot.Metadata.ResourceVersion,
                },
            }, ct);
        }

        return ReconcileResult.Done;
    }

    /// <summary>
    /// snapshot_controller.go <c>SetDefaultSnapshotClass</c>: the volume's driver (<c>pvDriverFromSnapshot</c>, which needs the
    /// claim bound), then the classes of that driver annotated default ("true"); exactly one is the answer.
    /// </summary>
    private (string? Name, string? Problem) DefaultClassFor(string claimName, GenericObject? claim, string? driver)
    {
        if (claim is null)
        {
            return (null, $"failed to retrieve PVC {claimName} from the lister: \"persistentvolumeclaim \\\"{claimName}\\\" not found\"");
        }

        if ((string?)claim.Status?["phase"] != "Bound" || driver is null)
        {
            return (null, $"the PVC {claimName} is not yet bound to a PV, will not attempt to take a snapshot");
        }

        var defaults = ctx.VolumeSnapshotClasses.List()
            .Where(c => (string?)c.Fields["driver"] == driver
                && c.Metadata.Annotations?.TryGetValue(StorageKeys.DefaultSnapshotClassAnnotation, out var isDefault) == true && isDefault == "true")
            .Select(c => c.Metadata.Name)
            .ToList();
        return defaults.Count switch
        {
            0 => (null, "cannot find default snapshot class"),
            1 => (defaults[0], null),
            _ => (null, $"{defaults.Count} default snapshot classes were found"),
        };
    }

    private static JsonObject Content(GenericObject snapshot, string name, GenericObject snapshotClass, GenericObject volume) => new()
    {
        ["apiVersion"] = KubeVirtTypes.VolumeSnapshotContent.ApiVersion,
        ["kind"] = KubeVirtTypes.VolumeSnapshotContent.Kind,
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["finalizers"] = new JsonArray(StorageKeys.VolumeSnapshotContentFinalizer),
        },
        ["spec"] = new JsonObject
        {
            ["volumeSnapshotRef"] = new JsonObject
            {
                ["kind"] = "VolumeSnapshot",
                ["namespace"] = snapshot.Metadata.NamespaceProperty,
                ["name"] = snapshot.Metadata.Name,
                ["uid"] = snapshot.Metadata.Uid,
                ["apiVersion"] = KubeVirtTypes.VolumeSnapshot.ApiVersion,
                ["resourceVersion"] = snapshot.Metadata.ResourceVersion,
            },
            ["deletionPolicy"] = (string?)snapshotClass.Fields["deletionPolicy"] ?? "Delete",
            ["driver"] = (string?)snapshotClass.Fields["driver"],
            ["volumeSnapshotClassName"] = snapshotClass.Metadata.Name,
            ["source"] = new JsonObject { ["volumeHandle"] = (string?)volume.Spec?["csi"]?["volumeHandle"] },
            ["sourceVolumeMode"] = (string?)volume.Spec?["volumeMode"] ?? "Filesystem",
        },
    };
}
