using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;
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
internal sealed class DataVolumeController(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "DataVolume";
    private const string Component = "datavolume-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject dv, CancellationToken ct)
    {
        dv = ctx.Newest(KubeVirtTypes.DataVolume, dv);
        if (dv.Metadata.DeletionTimestamp is not null)
        {
            await ctx.RemoveFinalizerAsync(KubeVirtTypes.DataVolume, dv, CdiKeys.CrossNamespaceFinalizer, ct).ConfigureAwait(false);
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
            await SetStatusAsync(dv, "Failed", bound: (false, "ClaimLost", "Claim Lost"), running: (false, "Error", $"PVC {dv.Metadata.Name} lost"), ct).ConfigureAwait(false);
            await ctx.Events(Component).WarningAsync(dv, "ErrClaimLost", "Sync", $"PVC {dv.Metadata.Name} lost", ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (dv.Metadata.Annotations?.ContainsKey(CdiKeys.PrePopulated) == true)
        {
            return await AdoptAsync(dv, claim, ct).ConfigureAwait(false);
        }

        return dv.Spec?["source"]?["snapshot"] is JsonObject snapshotSource
            ? await CloneAsync(dv, snapshotSource, claim, ct).ConfigureAwait(false)
            : await ImportAsync(dv, claim, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>cdi.kubevirt.io/storage.prePopulated</c> (a restore put the data in place): the claim of that name is adopted and the
    /// DataVolume is Succeeded without populating anything.
    /// </summary>
    private async Task<ReconcileResult> AdoptAsync(GenericObject dv, GenericObject? claim, CancellationToken ct)
    {
        if (claim is null) return ReconcileResult.Done;
        if (claim.Metadata.OwnerReferences?.Any(o => o.Uid == dv.Metadata.Uid) != true)
        {
            await ctx.PatchAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
            {
                ["metadata"] = new JsonObject { ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(dv)) },
            }, ct).ConfigureAwait(false);
        }

        await SucceedAsync(dv, "Bound", $"PVC {dv.Metadata.Name} Bound", "", ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> ImportAsync(GenericObject dv, GenericObject? claim, CancellationToken ct)
    {
        var name = dv.Metadata.Name;
        if (claim is null)
        {
            claim = await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolumeClaim, Claim(dv, RenderSpec(dv, sizeIfMissing: null), dataSourceRef: null), ct).ConfigureAwait(false);
        }

        if ((string?)claim.Status?["phase"] != "Bound")
        {
            var waiting = WaitsForConsumer(claim) ? "PendingPopulation" : "Pending";
            await SetStatusAsync(dv, waiting, bound: (false, "Pending", $"PVC {name} Pending"), running: (false, waiting, ""), ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (await LoseVolumeIfFailingAsync(dv, claim, ct).ConfigureAwait(false)) return ReconcileResult.Done;
        foreach (var (step, phase, message) in (ReadOnlySpan<(string, string, string)>)[("schedule", "ImportScheduled", CdiKeys.MessageImportScheduled), ("import", "ImportInProgress", CdiKeys.MessageImportInProgress)])
        {
            var left = ctx.Remaining(Kind, dv, step);
            if (left > TimeSpan.Zero)
            {
                if (await SetStatusAsync(dv, phase, bound: (true, "Bound", $"PVC {name} Bound"), running: (true, "Pod is running", ""), ct).ConfigureAwait(false))
                {
                    await ctx.Events(Component).NormalAsync(dv, phase, "Import", string.Format(CultureInfo.InvariantCulture, message, name), ct).ConfigureAwait(false);
                }

                return ReconcileResult.After(left);
            }
        }

        await SucceedAsync(dv, "ImportSucceeded", string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageImportSucceeded, name), "Import Complete", ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> CloneAsync(GenericObject dv, JsonObject source, GenericObject? claim, CancellationToken ct)
    {
        var ns = dv.Metadata.NamespaceProperty;
        var name = dv.Metadata.Name;
        var sourceNs = (string?)source["namespace"] ?? ns;
        var sourceName = (string?)source["name"] ?? "";
        var crossNamespace = sourceNs != ns;
        var snapshot = ctx.Get(KubeVirtTypes.VolumeSnapshot, sourceNs, sourceName);
        if (claim is null)
        {
            // snapshot-clone-controller.go validateCloneAndSourceSnapshot: nothing moves until the snapshot changes.
            if (snapshot is null)
            {
                var missing = string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneWithoutSource, "snapshot", sourceName);
                await ValidationFailedAsync(dv, crossNamespace, "CloneWithoutSource", missing, ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }

            if (ValidationProblem(dv, snapshot) is { } problem)
            {
                await ValidationFailedAsync(dv, crossNamespace, "CloneValidationFailed", string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneValidationFailed, problem), ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }

            if (crossNamespace)
            {
                dv = await ctx.AddFinalizerAsync(KubeVirtTypes.DataVolume, dv, CdiKeys.CrossNamespaceFinalizer, ct).ConfigureAwait(false);
            }

            var restoreSize = SimulatedStorage.Bytes(snapshot.Status?["restoreSize"]) ?? 0;
            claim = await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolumeClaim, Claim(dv, RenderSpec(dv, restoreSize), new JsonObject
            {
                ["apiGroup"] = "cdi.kubevirt.io",
                ["kind"] = "VolumeCloneSource",
                ["name"] = $"volume-clone-source-{dv.Metadata.Uid}",
            }, crossNamespace ? sourceNs : null), ct).ConfigureAwait(false);

            // controller-base.go updateStatus after the claim is made: Pending with the populator not started (clonePhase
            // unset) maps to CloneScheduled (clone-controller-base.go populatorPhaseMap), its event with the phase change.
            if (!WaitsForConsumer(claim)
                && await SetStatusAsync(dv, "CloneScheduled", bound: (false, "Pending", $"PVC {name} Pending"), running: (false, "Pending", "Clone Pending"), ct).ConfigureAwait(false))
            {
                await ctx.Events(Component).NormalAsync(dv, "CloneScheduled", "Clone",
                    string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneScheduled, sourceNs, sourceName, ns, name), ct).ConfigureAwait(false);
                dv = ctx.Get(KubeVirtTypes.DataVolume, ns, name) ?? dv;
            }
        }

        if ((string?)claim.Status?["phase"] == "Bound")
        {
            if (await LoseVolumeIfFailingAsync(dv, claim, ct).ConfigureAwait(false)) return ReconcileResult.Done;
            await SucceedAsync(dv, "CloneSucceeded",
                string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneSucceeded, sourceNs, sourceName, ns, name), "Clone Complete", ct).ConfigureAwait(false);
            await ctx.RemoveFinalizerAsync(KubeVirtTypes.DataVolume, ctx.Get(KubeVirtTypes.DataVolume, ns, name) ?? dv, CdiKeys.CrossNamespaceFinalizer, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if ((string?)claim.Spec?["volumeName"] is not null)
        {
            // Restored and handed to the claim: the PV controller binds it.
            return ReconcileResult.Done;
        }

        // The clone populator on the target claim (populators/clone-populator.go reconcilePending).
        if (WaitsForConsumer(claim))
        {
            await SetStatusAsync(dv, "PendingPopulation", bound: (false, "Pending", $"PVC {name} Pending"), running: (false, "Pending", "Clone Pending"), ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (snapshot is null || snapshot.Metadata.DeletionTimestamp is not null)
        {
            var missing = string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneWithoutSource, "snapshot", sourceName);
            await ctx.Events("clone-populator").WarningAsync(claim, "CloneWithoutSource", "Clone", missing, ct).ConfigureAwait(false);
            await SetStatusAsync(dv, "CloneScheduled", bound: (false, "Pending", $"target PVC {name} Pending and {missing}"), running: (false, "Pending", "Clone Pending"), ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if ((bool?)snapshot.Status?["readyToUse"] != true)
        {
            await SetStatusAsync(dv, "CloneScheduled", bound: (false, "Pending", $"PVC {name} Pending"), running: (false, "Pending", "Clone Pending"), ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var left = ctx.Remaining(Kind, dv, "restore");
        if (left > TimeSpan.Zero)
        {
            if (await SetStatusAsync(dv, "CloneFromSnapshotSourceInProgress", bound: (false, "Pending", $"PVC {name} Pending"), running: (true, "Populator is running", ""), ct).ConfigureAwait(false))
            {
                await ctx.Events(Component).NormalAsync(dv, "CloneFromSnapshotSourceInProgress", "Clone",
                    string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneFromSnapshotSourceInProgress, "snapshot", sourceNs, sourceName), ct).ConfigureAwait(false);
            }

            return ReconcileResult.After(left);
        }

        await RestoreAsync(claim, snapshot, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    /// <summary>The populator's result: a volume restored from the snapshot (the driver's capacity, never below the request), handed to the claim.</summary>
    private async Task RestoreAsync(GenericObject claim, GenericObject snapshot, CancellationToken ct)
    {
        var spec = claim.Spec ?? [];
        var className = (string?)spec["storageClassName"];
        var storageClass = SimulatedStorage.ClassOf(ctx, className);
        var provisioner = (string?)storageClass?.Fields["provisioner"] ?? SimulatedStorage.Driver;
        var request = SimulatedStorage.Bytes(spec["resources"]?["requests"]?["storage"]) ?? 0;
        var restoreSize = SimulatedStorage.Bytes(snapshot.Status?["restoreSize"]) ?? 0;
        var capacity = SimulatedStorage.Allocate(Math.Max(request, restoreSize));
        var volume = await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolume, ClaimController.Volume(claim, storageClass, capacity), ct).ConfigureAwait(false);
        await ctx.PatchAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject
                {
                    [StorageKeys.StorageProvisioner] = provisioner,
                    [StorageKeys.BetaStorageProvisioner] = provisioner,
                    [StorageKeys.BindCompleted] = "yes",
                    [CdiKeys.CloneType] = "snapshot",
                    [CdiKeys.ClonePhase] = "Succeeded",
                },
            },
            ["spec"] = new JsonObject { ["volumeName"] = volume.Metadata.Name },
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// snapshot-clone-controller.go <c>validateSnapshotClone</c>: the snapshot must be usable, have a restore size, and a
    /// requested size (before the filesystem overhead is added) must not be below it.
    /// </summary>
    private static string? ValidationProblem(GenericObject dv, GenericObject snapshot)
    {
        var status = snapshot.Status;
        if (status is null) return "no status on source snapshot yet";
        if ((string?)status["error"]?["message"] is { } error) return $"snapshot in error state with msg: {error}";
        if (SimulatedStorage.Bytes(status["restoreSize"]) is not { } restoreSize || restoreSize < 0) return "snapshot has no restore size";
        var spec = dv.Spec ?? [];
        var requested = SimulatedStorage.Bytes((spec["pvc"] ?? spec["storage"])?["resources"]?["requests"]?["storage"]);
        if (requested is { } target && restoreSize > 0 && target < restoreSize)
        {
            return Invariant($"target resources requests storage size is smaller than the source {target} < {restoreSize}");
        }

        return requested is null && restoreSize == 0 ? "size not specified by user/provisioner, can't tell how much needed for restore" : null;
    }

    /// <summary>
    /// A validation failure: phase unchanged, Bound and Ready False with the reason, and — as a Bound condition change — a Normal event.
    /// A cross-namespace clone is Pending by then: its first pass only adds the extended clone token (<c>ensureExtendedTokenDV</c>)
    /// and <c>updateStatus</c> sets Pending (<c>shouldSetDataVolumePending</c>); a same-namespace clone keeps no phase.
    /// </summary>
    private async Task ValidationFailedAsync(GenericObject dv, bool crossNamespace, string reason, string message, CancellationToken ct)
    {
        var phase = (string?)dv.Status?["phase"] ?? "";
        if (await SetStatusAsync(dv, phase.Length == 0 && crossNamespace ? "Pending" : phase,
                bound: (false, reason, message), running: (false, reason, message), ct, readyReason: reason).ConfigureAwait(false))
        {
            await ctx.Events(Component).NormalAsync(dv, reason, "Clone", message, ct).ConfigureAwait(false);
        }
    }

    /// <summary><c>--sim-fault fail=datavolumes</c>: the volume is lost (the claim becomes Lost, and the DataVolume Failed with it).</summary>
    private async Task<bool> LoseVolumeIfFailingAsync(GenericObject dv, GenericObject claim, CancellationToken ct)
    {
        if (!ctx.Fails(ctx.DataVolumes, Kind, dv) || (string?)claim.Spec?["volumeName"] is not { } volumeName) return false;
        // The storage behind it is destroyed: the volume goes, pv-protection notwithstanding (as when an administrator
        // force-removes it), and the PV controller finds the bound claim without its volume.
        if (ctx.Get(KubeVirtTypes.PersistentVolume, null, volumeName) is { } volume)
        {
            await ctx.PatchAsync(KubeVirtTypes.PersistentVolume, volume, new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }, ct).ConfigureAwait(false);
            await ctx.DeleteAsync(KubeVirtTypes.PersistentVolume, null, volumeName, ct).ConfigureAwait(false);
        }

        return true;
    }

    private async Task SucceedAsync(GenericObject dv, string reason, string message, string runningMessage, CancellationToken ct)
    {
        if (await SetStatusAsync(dv, "Succeeded", bound: (true, "Bound", $"PVC {dv.Metadata.Name} Bound"), running: (false, "Completed", runningMessage), ct, progress: "100.0%").ConfigureAwait(false))
        {
            await ctx.Events(Component).NormalAsync(dv, reason, "Sync", message, ct).ConfigureAwait(false);
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
        }, ct).ConfigureAwait(false);
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
        if (spec["pvc"] is JsonObject pvc) return pvc.DeepClone().AsObject();
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
        if (sourceNamespace is not null) annotations[CdiKeys.DataSourceNamespace] = sourceNamespace;
        if (dv.Metadata.Annotations?.ContainsKey(CdiKeys.ImmediateBinding) == true)
        {
            // The importer/prep pod CDI runs to bind at once lands on a node: the scheduler's choice, as on a consumer's.
            annotations[StorageKeys.SelectedNode] = SimulatedStorage.Node;
        }

        if (dataSourceRef is not null) spec["dataSourceRef"] = dataSourceRef;
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
