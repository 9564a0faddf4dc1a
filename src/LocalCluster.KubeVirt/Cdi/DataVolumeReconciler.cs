using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;
using static System.FormattableString;

namespace Vers.LocalCluster.KubeVirt.Cdi;

/// <summary>
/// Plays CDI's DataVolume controllers (v1.66) with its clone populator. A DataVolume gets a claim of its own name in
/// its namespace, owned by it, rendered from <c>spec.pvc</c> verbatim or from <c>spec.storage</c> (default class;
/// Filesystem requests grown by the 6 % filesystem overhead, <c>renderPvcSpecVolumeSize</c>):
/// <list type="bullet">
/// <item>import sources (registry, http, blank, ...): ImportScheduled → ImportInProgress → Succeeded once the claim is
/// bound; on WaitForFirstConsumer storage PendingPopulation until a consumer is scheduled, unless
/// <c>cdi.kubevirt.io/storage.bind.immediate.requested</c> asks CDI to bind at once;</item>
/// <item><c>source.snapshot</c> (any namespace): <c>validateCloneAndSourceSnapshot</c> first — a missing snapshot leaves the
/// phase where it is with CloneWithoutSource, a request below the snapshot's <c>restoreSize</c> with
/// CloneValidationFailed, and nothing moves until the snapshot changes; a missing size takes the restoreSize
/// (<c>detectCloneSize</c>). Then CloneScheduled (cross-namespace: finalizer <c>cdi.kubevirt.io/dataVolumeFinalizer</c>),
/// the claim with a <c>VolumeCloneSource</c> data source, CloneFromSnapshotSourceInProgress while the populator restores
/// the snapshot, and Succeeded once the claim is bound to the restored volume;</item>
/// <item>a DataVolume reaches Failed only when its claim is Lost (<c>updateStatus</c>: "Avoid setting DV to failed"
/// otherwise): <c>--sim-fault fail=datavolumes</c> loses the volume.</item>
/// </list>
/// Not modelled: the smart clone's temporary claim in the snapshot's namespace and its PrepClaim/Rebind phases (the
/// populator restores straight into the target's volume), host-assisted copies, VolumeCloneSource objects.
/// </summary>
internal sealed partial class DataVolumeReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "DataVolume";
    private const string Component = "datavolume-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject dv, CancellationToken ct)
    {
        dv = ctx.Newest(KubeVirtTypes.DataVolume, dv);
        if (await ctx.RemoveFinalizerIfDeletingAsync(KubeVirtTypes.DataVolume, dv, CdiKeys.CrossNamespaceFinalizer, ct))
        {
            return ReconcileResult.Done;
        }

        var phase = (string?)dv.Status?["phase"];
        if (phase is "Succeeded" or "Failed")
        {
            ctx.Forget(dv.Metadata.Uid);
            return ReconcileResult.Done;
        }

        var ns = dv.Metadata.NamespaceProperty;
        var claim = ctx.Get(KubeVirtTypes.PersistentVolumeClaim, ns, dv.Metadata.Name);
        var claimPhase = (string?)claim?.Status?["phase"];
        if (claimPhase == "Lost")
        {
            await SetStatusAsync(dv, "Failed", bound: (false, "ClaimLost", "Claim Lost"), running: (false, "Error", $"PVC {dv.Metadata.Name} lost"), ct);
            await ctx.Events(Component).WarningAsync(dv, "ErrClaimLost", "Sync", $"PVC {dv.Metadata.Name} lost", ct);
            return ReconcileResult.Done;
        }

        if (dv.Metadata.Annotations?.ContainsKey(CdiKeys.PrePopulated) == true)
        {
            return await AdoptAsync(dv, claim, ct);
        }

        return dv.Spec?["source"]?["snapshot"] is JsonObject snapshotSource
            ? await CloneAsync(dv, snapshotSource, claim, ct)
            : await ImportAsync(dv, claim, ct);
    }

    /// <summary>
    /// <c>cdi.kubevirt.io/storage.prePopulated</c> (a restore put the data in place): the claim of that name is adopted and the
    /// DataVolume is Succeeded without populating anything.
    /// </summary>
    private async Task<ReconcileResult> AdoptAsync(GenericObject dv, GenericObject? claim, CancellationToken ct)
    {
        if (claim is null)
        {
            return ReconcileResult.Done;
        }

        if (claim.Metadata.OwnerReferences?.Any(o => o.Uid == dv.Metadata.Uid) != true)
        {
            await ctx.PatchAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
            {
                ["metadata"] = new JsonObject { ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(dv)) },
            }, ct);
        }

        await SucceedAsync(dv, "Bound", $"PVC {dv.Metadata.Name} Bound", "", ct);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> ImportAsync(GenericObject dv, GenericObject? claim, CancellationToken ct)
    {
        var name = dv.Metadata.Name;
        claim ??= await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolumeClaim, Claim(dv, RenderSpec(dv, sizeIfMissing: null), dataSourceRef: null), ct);

        if ((string?)claim.Status?["phase"] != "Bound")
        {
            var waiting = WaitsForConsumer(claim) ? "PendingPopulation" : "Pending";
            await SetStatusAsync(dv, waiting, bound: (false, "Pending", $"PVC {name} Pending"), running: (false, waiting, ""), ct);
            return ReconcileResult.Done;
        }

        if (await LoseVolumeIfFailingAsync(dv, claim, ct))
        {
            return ReconcileResult.Done;
        }

        foreach (var (step, phase, message) in (ReadOnlySpan<(string, string, string)>)[("schedule", "ImportScheduled", CdiKeys.MessageImportScheduled), ("import", "ImportInProgress", CdiKeys.MessageImportInProgress)])
        {
            var left = ctx.Remaining(Kind, dv, step);
            if (left > TimeSpan.Zero)
            {
                if (await SetStatusAsync(dv, phase, bound: (true, "Bound", $"PVC {name} Bound"), running: (true, "Pod is running", ""), ct))
                {
                    await ctx.Events(Component).NormalAsync(dv, phase, "Import", string.Format(CultureInfo.InvariantCulture, message, name), ct);
                }

                return ReconcileResult.After(left);
            }
        }

        await SucceedAsync(dv, "ImportSucceeded", string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageImportSucceeded, name), "Import Complete", ct);
        return ReconcileResult.Done;
    }

    /// <summary><c>--sim-fault fail=datavolumes</c>: the volume is lost (the claim becomes Lost, and the DataVolume Failed with it).</summary>
    private async Task<bool> LoseVolumeIfFailingAsync(GenericObject dv, GenericObject claim, CancellationToken ct)
    {
        if (!ctx.Fails(ctx.DataVolumes, Kind, dv) || (string?)claim.Spec?["volumeName"] is not { } volumeName)
        {
            return false;
        }
        // The storage behind it is destroyed: the volume goes, pv-protection notwithstanding (as when an administrator
        // force-removes it), and the PV controller finds the bound claim without its volume.
        if (ctx.Get(KubeVirtTypes.PersistentVolume, null, volumeName) is { } volume)
        {
            await ctx.PatchAsync(KubeVirtTypes.PersistentVolume, volume, new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }, ct);
            await ctx.DeleteAsync(KubeVirtTypes.PersistentVolume, null, volumeName, ct);
        }

        return true;
    }

    private async Task SucceedAsync(GenericObject dv, string reason, string message, string runningMessage, CancellationToken ct)
    {
        if (await SetStatusAsync(dv, "Succeeded", bound: (true, "Bound", $"PVC {dv.Metadata.Name} Bound"), running: (false, "Completed", runningMessage), ct, progress: "100.0%"))
        {
            await ctx.Events(Component).NormalAsync(dv, reason, "Sync", message, ct);
        }

        ctx.Forget(dv.Metadata.Uid);
    }

    /// <summary>BASE <c>updateStatus</c>/<c>updateConditions</c>: phase, claim name, progress and the Ready/Bound/Running conditions. Answers whether anything was written.</summary>
    private async Task<bool> SetStatusAsync(GenericObject dv, string phase, (bool Status, string Reason, string Message) bound,
        (bool Status, string Reason, string Message) running, CancellationToken ct, string progress = "N/A", string? readyReason = null)
    {
        var current = dv.Status;
        var ready = phase == "Succeeded";
        var written = await ctx.PatchStatusAsync(KubeVirtTypes.DataVolume, dv, new JsonObject
        {
            ["phase"] = phase,
            ["progress"] = progress,
            ["claimName"] = dv.Metadata.Name,
            ["restartCount"] = 0,
            ["conditions"] = new JsonArray(
                ctx.Condition(current, "Bound", bound.Status, bound.Reason, bound.Message),
                ctx.Condition(current, "Ready", ready, readyReason ?? (ready ? "" : bound.Reason), readyReason is null ? "" : bound.Message),
                ctx.Condition(current, "Running", running.Status, running.Reason, running.Message)),
        }, ct);
        return !ReferenceEquals(written, dv);
    }

    private bool WaitsForConsumer(GenericObject claim) =>
        (string?)claim.Status?["phase"] != "Bound"
        && (string?)SimulatedStorage.ClassOf(ctx, (string?)claim.Spec?["storageClassName"])?.Fields["volumeBindingMode"] == "WaitForFirstConsumer"
        && claim.Metadata.Annotations?.ContainsKey(StorageKeys.SelectedNode) != true
        && claim.Metadata.Annotations?.ContainsKey(CdiKeys.ImmediateBinding) != true;

    /// <summary>
    /// The claim's spec (datavolume/util.go <c>renderPvcSpec</c>): <c>spec.pvc</c> as it is; <c>spec.storage</c> with the default
    /// class, ReadWriteOnce and Filesystem where unset, and a Filesystem request grown by the overhead. A clone without a
    /// size takes <paramref name="sizeIfMissing"/> (the snapshot's restoreSize) as it is.
    /// </summary>
    private JsonObject RenderSpec(GenericObject dv, long? sizeIfMissing)
    {
        var spec = dv.Spec ?? [];
        if (spec["pvc"] is JsonObject pvc)
        {
            return pvc.DeepClone().AsObject();
        }

        var storage = spec["storage"] as JsonObject ?? [];
        var rendered = new JsonObject
        {
            ["accessModes"] = storage["accessModes"]?.DeepClone() ?? new JsonArray("ReadWriteOnce"),
            ["volumeMode"] = (string?)storage["volumeMode"] ?? "Filesystem",
            ["storageClassName"] = (string?)storage["storageClassName"] ?? DefaultClass(),
        };
        var requested = SimulatedStorage.Bytes(storage["resources"]?["requests"]?["storage"]);
        var size = requested is { } r ? ((string?)rendered["volumeMode"] == "Filesystem" ? CdiKeys.Inflate(r) : r) : sizeIfMissing ?? SimulatedStorage.GiB;
        rendered["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = SimulatedStorage.Format(size) } };
        return rendered;
    }

    private string? DefaultClass() =>
        ctx.StorageClasses.List()
            .Where(c => c.Metadata.Annotations?.TryGetValue(StorageKeys.DefaultStorageClassAnnotation, out var d) == true && d == "true")
            .OrderByDescending(c => c.Metadata.CreationTimestamp)
            .Select(c => c.Metadata.Name)
            .FirstOrDefault();

    /// <summary>BASE <c>newPersistentVolumeClaim</c>: owned by the DataVolume, its labels and annotations plus CDI's.</summary>
    private static JsonObject Claim(GenericObject dv, JsonObject spec, JsonObject? dataSourceRef, string? sourceNamespace = null)
    {
        var labels = new JsonObject { [CdiKeys.AppLabel] = CdiKeys.AppLabelValue };
        foreach (var (key, value) in dv.Metadata.Labels ?? new Dictionary<string, string>())
        {
            labels[key] = value;
        }

        var annotations = new JsonObject();
        foreach (var (key, value) in dv.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            annotations[key] = value;
        }

        annotations[CdiKeys.PodRestarts] = "0";
        annotations[CdiKeys.ContentType] = "kubevirt";
        annotations[CdiKeys.CreatedForDataVolume] = dv.Metadata.Uid;
        if (sourceNamespace is not null)
        {
            annotations[CdiKeys.DataSourceNamespace] = sourceNamespace;
        }

        if (dv.Metadata.Annotations?.ContainsKey(CdiKeys.ImmediateBinding) == true)
        {
            // The importer/prep pod CDI runs to bind at once lands on a node: the scheduler's choice, as on a consumer's.
            annotations[StorageKeys.SelectedNode] = SimulatedStorage.Node;
        }

        if (dataSourceRef is not null)
        {
            spec["dataSourceRef"] = dataSourceRef;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = new JsonObject
            {
                ["name"] = dv.Metadata.Name,
                ["namespace"] = dv.Metadata.NamespaceProperty,
                ["labels"] = labels,
                ["annotations"] = annotations,
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(dv)),
            },
            ["spec"] = spec,
        };
    }
}
