using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Snapshots;

/// <summary>
/// Plays KubeVirt's VirtualMachineSnapshot controller (pkg/storage/snapshot/snapshot.go <c>updateVMSnapshot</c>,
/// source.go <c>Lock</c>/<c>Unlock</c>):
/// <list type="bullet">
/// <item>finalizer <c>snapshot.kubevirt.io/vmsnapshot-protection</c>; the source VM locked while the snapshot is taken
/// (<c>status.snapshotInProgress</c> and finalizer <c>snapshot.kubevirt.io/snapshot-source-protection</c>) — only once
/// every PVC- or DataVolume-backed volume exists, is Bound and populated, and no other snapshot holds the VM; until
/// then InProgress with <c>Progressing=False</c> and upstream's lock message ("Source not locked source ns/vm volume not
/// bound: claim");</item>
/// <item>the VirtualMachineSnapshotContent <c>vmsnapshot-content-&lt;uid&gt;</c> with a copy of the VM and one volume backup
/// per claim that is Bound and whose StorageClass has a VolumeSnapshotClass; every other volume is left out silently
/// (<c>createContent</c>/<c>getSnapshotPVC</c>) — <c>--sim-fault exclude-volumes</c> leaves out all of them;</item>
/// <item>phase Succeeded as soon as the content has a creation time (every VolumeSnapshot cut), <c>readyToUse</c> only
/// when every VolumeSnapshot is ready; <c>snapshotVolumes</c> (included/excluded: containerDisk and cloud-init volumes are
/// excluded too) and the PartialSnapshot indication when an excluded volume is PVC, DataVolume or memory-dump backed;
/// Online/NoGuestAgent for a running VM (there is no guest agent here);</item>
/// <item>Failed with <c>Failure=True "snapshot deadline exceeded"</c> once <c>spec.failureDeadline</c> (default 5m, 0 = none)
/// has passed since creation while still in progress; a content that is not ready is then deleted;</item>
/// <item>the VM unlocked when done; deleting the snapshot deletes its content (deletionPolicy Delete, or not ready).</item>
/// </list>
/// <c>--sim-fault fail=virtualmachinesnapshots</c> fails new snapshots as their deadline would.
/// </summary>
internal sealed partial class SnapshotReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "VirtualMachineSnapshot";
    private const string Component = "snapshot-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject snapshot, CancellationToken ct)
    {
        snapshot = ctx.Newest(KubeVirtTypes.VirtualMachineSnapshot, snapshot);
        var ns = snapshot.Metadata.NamespaceProperty;
        var uid = snapshot.Metadata.Uid;
        var vm = ctx.Get(KubeVirtTypes.VirtualMachine, ns, (string?)snapshot.Spec?["source"]?["name"] ?? "");
        var content = ctx.Get(KubeVirtTypes.VirtualMachineSnapshotContent, ns, SnapshotKeys.ContentName(uid));
        if (snapshot.Metadata.DeletionTimestamp is not null)
        {
            return await DeleteAsync(snapshot, vm, content, ct);
        }

        var status = snapshot.Status;
        var phase = (string?)status?["phase"];
        if (phase == "Failed" || (phase == "Succeeded" && (bool?)status?["readyToUse"] == true && (bool?)content?.Status?["readyToUse"] == true))
        {
            await UnlockAsync(snapshot, vm, ct);
            ctx.Forget(uid);
            return ReconcileResult.Done;
        }

        snapshot = await ctx.AddFinalizerAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, SnapshotKeys.SnapshotFinalizer, ct);
        var contentCreated = content?.Status?["creationTime"] is not null;
        var deadline = FailureDeadline(snapshot);
        var untilDeadline = deadline is { } d ? d - ctx.Time.GetUtcNow() : (TimeSpan?)null;
        if (!contentCreated && (untilDeadline <= TimeSpan.Zero || ctx.Fails(ctx.Snapshots, Kind, snapshot)))
        {
            await FailAsync(snapshot, vm, content, ct);
            return ReconcileResult.Done;
        }

        string? lockMessage = null;
        if (vm is not null && content is null)
        {
            lockMessage = await LockAsync(snapshot, vm, ct);
            if (lockMessage == SnapshotKeys.SourceLocked)
            {
                var left = ctx.Remaining(Kind, snapshot, "snapshot");
                if (left > TimeSpan.Zero)
                {
                    await WriteStatusAsync(snapshot, vm, content, lockMessage, ct);
                    return After(left, untilDeadline);
                }

                content = await CreateContentAsync(snapshot, vm, ct);
            }
        }

        await WriteStatusAsync(snapshot, vm, content, lockMessage, ct);
        return untilDeadline is { } wait && !contentCreated ? ReconcileResult.After(wait + TimeSpan.FromMilliseconds(10)) : ReconcileResult.Done;
    }

    private static ReconcileResult After(TimeSpan left, TimeSpan? untilDeadline) =>
        ReconcileResult.After(untilDeadline is { } d && d < left ? d + TimeSpan.FromMilliseconds(10) : left);

    /// <summary>source.go <c>Lock</c> and <c>verifyVolumes</c>: answers the lock message (<see cref="SnapshotKeys.SourceLocked"/> when held).</summary>
    private async Task<string> LockAsync(GenericObject snapshot, GenericObject vm, CancellationToken ct)
    {
        var ns = vm.Metadata.NamespaceProperty;
        var holder = (string?)vm.Status?["snapshotInProgress"];
        if (holder == snapshot.Metadata.Name && vm.Metadata.Finalizers?.Contains(SnapshotKeys.SourceFinalizer) == true)
        {
            return SnapshotKeys.SourceLocked;
        }

        if (holder is not null && holder != snapshot.Metadata.Name)
        {
            return $"{SnapshotKeys.SourceNotLocked} snapshot \"{holder}\" in progress";
        }

        foreach (var volume in Volumes(vm))
        {
            if (SnapshotClasses.ClaimOf(volume) is not { } claimName)
            {
                continue;
            }

            var claim = SnapshotClasses.Claim(ctx, ns, claimName);
            var problem = claim is null ? $"volume doesnt exist: {claimName}"
                : claim.Metadata.DeletionTimestamp is not null ? $"volume is being deleted: {claimName}"
                : (string?)claim.Status?["phase"] != "Bound" ? $"volume not bound: {claimName}"
                : !Populated(claim) ? $"volume not populated: {claimName}"
                : null;
            if (problem is not null)
            {
                return $"{SnapshotKeys.SourceNotLocked} source {ns}/{vm.Metadata.Name} {problem}";
            }
        }

        vm = await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachine, vm, new JsonObject { ["snapshotInProgress"] = snapshot.Metadata.Name }, ct);
        await ctx.AddFinalizerAsync(KubeVirtTypes.VirtualMachine, vm, SnapshotKeys.SourceFinalizer, ct);
        return SnapshotKeys.SourceLocked;
    }

    /// <summary>CDI's <c>IsPopulated</c>: a claim controlled by a DataVolume is populated once that DataVolume succeeded.</summary>
    private bool Populated(GenericObject claim)
    {
        var owner = claim.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "DataVolume");
        return owner is null || (string?)ctx.Get(KubeVirtTypes.DataVolume, claim.Metadata.NamespaceProperty, owner.Name)?.Status?["phase"] == "Succeeded";
    }

    /// <summary>
    /// source.go <c>Unlock</c>: the finalizer first, then <c>snapshotInProgress</c>, which is what says the lock is ours —
    /// cleared first, a failed finalizer removal would leave the VM held by a lock nobody owns any more.
    /// </summary>
    private async Task UnlockAsync(GenericObject snapshot, GenericObject? vm, CancellationToken ct)
    {
        if (vm is null || (string?)vm.Status?["snapshotInProgress"] != snapshot.Metadata.Name)
        {
            return;
        }

        await ctx.RemoveFinalizerAsync(KubeVirtTypes.VirtualMachine, vm, SnapshotKeys.SourceFinalizer, ct);
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachine, vm, new JsonObject { ["snapshotInProgress"] = null }, ct);
    }

    /// <summary>snapshot.go <c>createContent</c>: one backup per claim KubeVirt can snapshot; the others are left out silently.</summary>
    private async Task<GenericObject> CreateContentAsync(GenericObject snapshot, GenericObject vm, CancellationToken ct)
    {
        var ns = vm.Metadata.NamespaceProperty;
        var backups = new JsonArray();
        foreach (var volume in Volumes(vm))
        {
            if (SnapshotClasses.ClaimOf(volume) is not { } claimName || SnapshotClasses.Claim(ctx, ns, claimName) is not { } claim)
            {
                continue;
            }

            if ((string?)claim.Status?["phase"] != "Bound" || (string?)claim.Spec?["storageClassName"] is not { } className)
            {
                continue;
            }

            if (SnapshotClasses.For(ctx, className).Name is null)
            {
                continue;
            }

            var volumeName = (string)volume["name"]!;
            backups.Add(new JsonObject
            {
                ["volumeName"] = volumeName,
                ["persistentVolumeClaim"] = new JsonObject
                {
                    ["metadata"] = BackupMetadata(claim),
                    ["spec"] = claim.Spec?.DeepClone(),
                },
                ["volumeSnapshotName"] = SnapshotKeys.VolumeSnapshotName(snapshot.Metadata.Uid, volumeName),
            });
        }

        var content = await ctx.CreateOrGetAsync(KubeVirtTypes.VirtualMachineSnapshotContent, new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VirtualMachineSnapshotContent.ApiVersion,
            ["kind"] = KubeVirtTypes.VirtualMachineSnapshotContent.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = SnapshotKeys.ContentName(snapshot.Metadata.Uid),
                ["namespace"] = ns,
                ["finalizers"] = new JsonArray(SnapshotKeys.ContentFinalizer),
            },
            ["spec"] = new JsonObject
            {
                ["source"] = new JsonObject { ["virtualMachine"] = VmCopy(vm) },
                ["virtualMachineSnapshotName"] = snapshot.Metadata.Name,
                ["volumeBackups"] = backups,
            },
        }, ct);
        await ctx.Events(Component).NormalAsync(snapshot, "SuccessfulVirtualMachineSnapshotContentCreate", "Snapshot",
            $"Successfully created VirtualMachineSnapshotContent {content.Metadata.Name}", ct);
        return content;
    }

    /// <summary>Deadline passed (or a fault): Failed, a content that is not ready deleted, the VM unlocked.</summary>
    private async Task FailAsync(GenericObject snapshot, GenericObject? vm, GenericObject? content, CancellationToken ct)
    {
        var current = snapshot.Status;
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, new JsonObject
        {
            ["phase"] = "Failed",
            ["readyToUse"] = false,
            ["conditions"] = new JsonArray(
                ctx.Condition(current, "Progressing", false, "Operation failed"),
                ctx.Condition(current, "Ready", false, "Not ready"),
                ctx.Condition(current, "Failure", true, SnapshotKeys.DeadlineExceeded)),
        }, ct);
        if (content is not null && (bool?)content.Status?["readyToUse"] != true)
        {
            await ctx.DeleteAsync(KubeVirtTypes.VirtualMachineSnapshotContent, content.Metadata.NamespaceProperty, content.Metadata.Name, ct);
        }

        await UnlockAsync(snapshot, vm, ct);
        ctx.Forget(snapshot.Metadata.Uid);
    }

    /// <summary>A snapshot being deleted: its content goes (deletionPolicy Delete, or never ready), the VM is unlocked, then the finalizer.</summary>
    private async Task<ReconcileResult> DeleteAsync(GenericObject snapshot, GenericObject? vm, GenericObject? content, CancellationToken ct)
    {
        var retain = (string?)snapshot.Spec?["deletionPolicy"] == "Retain" && (bool?)content?.Status?["readyToUse"] == true;
        if (content is not null && !retain && content.Metadata.DeletionTimestamp is null)
        {
            await ctx.DeleteAsync(KubeVirtTypes.VirtualMachineSnapshotContent, content.Metadata.NamespaceProperty, content.Metadata.Name, ct);
        }

        await UnlockAsync(snapshot, vm, ct);
        await ctx.RemoveFinalizerAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, SnapshotKeys.SnapshotFinalizer, ct);
        ctx.Forget(snapshot.Metadata.Uid);
        return ReconcileResult.Done;
    }

    /// <summary>snapshot.go <c>getFailureDeadline</c>: measured from creation; "0" means none.</summary>
    private DateTimeOffset? FailureDeadline(GenericObject snapshot)
    {
        var text = (string?)snapshot.Spec?["failureDeadline"];
        var deadline = text is null ? SnapshotKeys.DefaultFailureDeadline : GoDuration.Parse(text);
        if (deadline <= TimeSpan.Zero || snapshot.Metadata.CreationTimestamp is not { } created)
        {
            return null;
        }

        return new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) + deadline;
    }

    /// <summary>
    /// source.go <c>Spec</c>: the VM as the content keeps it — name, namespace, labels, annotations and spec (for a running VM
    /// upstream takes the spec the VMI runs, which here is the VM's), no status.
    /// </summary>
    private static JsonObject VmCopy(GenericObject vm)
    {
        var metadata = new JsonObject { ["name"] = vm.Metadata.Name, ["namespace"] = vm.Metadata.NamespaceProperty };
        if (vm.Metadata.Labels is { Count: > 0 } labels)
        {
            metadata["labels"] = new JsonObject(labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        }

        if (vm.Metadata.Annotations is { Count: > 0 } annotations)
        {
            metadata["annotations"] = new JsonObject(annotations.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        }

        return new JsonObject { ["metadata"] = metadata, ["spec"] = vm.Spec?.DeepClone() ?? new JsonObject() };
    }

    private static IEnumerable<JsonObject> Volumes(GenericObject vm) =>
        (vm.Spec?["template"]?["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>
    /// util.go <c>getSimplifiedMetaObject</c>: the claim's whole metadata but its managedFields — ownerReferences included,
    /// which the restore needs to tell claims the source VM owned (volumeOwnershipPolicy Vm) from standalone ones.
    /// </summary>
    private static JsonObject BackupMetadata(GenericObject claim)
    {
        var metadata = SimulatorContext.ToJson(claim)["metadata"]!.DeepClone().AsObject();
        metadata.Remove("managedFields");
        return metadata;
    }
}

/// <summary>metav1.Duration text ("15m0s", "1h", "90s"); an unreadable value counts as the default of zero, like a failed decode would not.</summary>
internal static class GoDuration
{
    public static TimeSpan Parse(string text) => Durations.Parse(text) ?? TimeSpan.Zero;
}
