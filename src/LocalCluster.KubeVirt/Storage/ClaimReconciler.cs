using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Storage;

/// <summary>
/// Plays kube-controller-manager's PV controller and the CSI external-provisioner for the simulated driver
/// (<see cref="SimulatedStorage"/>) on PersistentVolumeClaims:
/// <list type="bullet">
/// <item>a claim of a <c>WaitForFirstConsumer</c> class waits, Pending, until a consumer's node is chosen
/// (<c>volume.kubernetes.io/selected-node</c>, set by the simulated scheduler when a VM starts or by CDI for
/// immediate binding): Normal event WaitForFirstConsumer (pv_controller.go <c>emitEventForUnboundDelayBindingClaim</c>);</item>
/// <item>otherwise the provisioner creates PersistentVolume <c>pvc-&lt;claim uid&gt;</c> with the driver's capacity
/// (<see cref="SimulatedStorage.Allocate"/>, at least the request) and the PV controller binds both
/// (external-provisioner controller.go <c>makeVolumeName</c>, lib controller.go <c>provisionClaimOperation</c>; pv_controller.go
/// <c>bind</c>): the claim gets <c>spec.volumeName</c>, <c>pv.kubernetes.io/bind-completed</c> and
/// <c>status {phase: Bound, capacity: the volume's}</c>;</item>
/// <item>a claim restored from a VolumeSnapshot (<c>dataSource</c>/<c>dataSourceRef</c>) is provisioned only from a
/// bound, ready snapshot of the same driver, and never smaller than its <c>restoreSize</c>: a smaller request fails
/// with upstream's words (controller.go <c>getSnapshotSource</c>), Warning ProvisioningFailed, retried with backoff
/// (1 s doubling to 5 min) — the claim stays Pending;</item>
/// <item>a claim whose data source is a CDI <c>VolumeCloneSource</c> is left to CDI's populator;</item>
/// <item>a Bound claim whose volume has gone becomes Lost (pv_controller.go <c>syncBoundClaim</c>).</item>
/// </list>
/// Claims of other provisioners are not touched.
/// </summary>
internal sealed class ClaimReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "PersistentVolumeClaim";
    private static readonly TimeSpan RetryStart = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryMax = TimeSpan.FromMinutes(5);

    // Provisioning retries per claim uid: the external-provisioner's rate-limited requeue (retry-interval-start/max).
    private readonly ConcurrentDictionary<string, TimeSpan> _retries = new(StringComparer.Ordinal);

    public async Task<ReconcileResult> ReconcileAsync(GenericObject claim, CancellationToken ct)
    {
        claim = ctx.Newest(KubeVirtTypes.PersistentVolumeClaim, claim);
        if (claim.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done;
        }

        var ns = claim.Metadata.NamespaceProperty;
        var spec = claim.Spec ?? [];
        var phase = (string?)claim.Status?["phase"];
        var volumeName = (string?)spec["volumeName"];

        if (phase == "Bound")
        {
            if (volumeName is not null && ctx.Get(KubeVirtTypes.PersistentVolume, null, volumeName) is null)
            {
                await ctx.PatchStatusAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject { ["phase"] = "Lost" }, ct);
                await ctx.Events("persistentvolume-controller").WarningAsync(claim, "ClaimLost", "Bind",
                    "Bound claim has lost its PersistentVolume. Data on the volume is lost!", ct);
            }

            return Done(claim);
        }

        if (phase == "Lost")
        {
            return Done(claim);
        }

        if (volumeName is not null)
        {
            // Pre-bound (CDI's rebind, or a user naming a volume): bind once the volume names this claim.
            var preBound = ctx.Get(KubeVirtTypes.PersistentVolume, null, volumeName);
            if (preBound?.Spec?["claimRef"] is JsonObject claimRef && (string?)claimRef["uid"] == claim.Metadata.Uid)
            {
                await BindAsync(claim, preBound, ct);
            }

            return ReconcileResult.Done;
        }

        var className = (string?)spec["storageClassName"];
        if (className is null)
        {
            await ctx.Events("persistentvolume-controller").NormalAsync(claim, "FailedBinding", "Bind",
                "no persistent volumes available for this claim and no storage class is set", ct);
            return ReconcileResult.Done;
        }

        var storageClass = SimulatedStorage.ClassOf(ctx, className);
        if (storageClass is null)
        {
            await ctx.Events("persistentvolume-controller").WarningAsync(claim, "ProvisioningFailed", "Provision",
                $"storageclass.storage.k8s.io \"{className}\" not found", ct);
            return ReconcileResult.Done;
        }

        var provisioner = (string?)storageClass.Fields["provisioner"];
        if (!SimulatedStorage.IsOurs(provisioner))
        {
            return ReconcileResult.Done;
        }

        if (IsPopulated(spec))
        {
            return ReconcileResult.Done;
        }

        var annotations = claim.Metadata.Annotations;
        if ((string?)storageClass.Fields["volumeBindingMode"] == "WaitForFirstConsumer" && annotations?.ContainsKey(StorageKeys.SelectedNode) != true)
        {
            await ctx.Events("persistentvolume-controller").NormalAsync(claim, "WaitForFirstConsumer", "Bind",
                "waiting for first consumer to be created before binding", ct);
            return ReconcileResult.Done;
        }

        var left = ctx.Remaining(Kind, claim, "provision");
        if (left > TimeSpan.Zero)
        {
            await ctx.Events("persistentvolume-controller").NormalAsync(claim, "ExternalProvisioning", "Provision",
                $"Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
                ct);
            return ReconcileResult.After(left);
        }

        var request = SimulatedStorage.Bytes(spec["resources"]?["requests"]?["storage"]) ?? 0;
        var events = ctx.Events(provisioner!);
        await events.NormalAsync(claim, "Provisioning", "Provision", $"External provisioner is provisioning volume for claim \"{ns}/{claim.Metadata.Name}\"", ct);
        if (SnapshotSource(spec) is { } snapshotName && SourceProblem(ns, snapshotName, request, provisioner!, className) is { } problem)
        {
            await events.WarningAsync(claim, "ProvisioningFailed", "Provision",
                $"error getting handle for DataSource Type VolumeSnapshot by Name {snapshotName}: {problem}", ct);
            return ReconcileResult.After(NextRetry(claim.Metadata.Uid));
        }

        var capacity = SimulatedStorage.Allocate(Math.Max(request, SnapshotSource(spec) is { } vs ? RestoreSize(ns, vs) ?? 0 : 0));
        var volume = await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolume, Volume(claim, storageClass, capacity), ct);
        await events.NormalAsync(claim, "ProvisioningSucceeded", "Provision", $"Successfully provisioned volume {volume.Metadata.Name}", ct);
        claim = await ctx.PatchAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject
                {
                    [StorageKeys.StorageProvisioner] = provisioner,
                    [StorageKeys.BetaStorageProvisioner] = provisioner,
                    [StorageKeys.BindCompleted] = "yes",
                    [StorageKeys.BoundByController] = "yes",
                },
            },
            ["spec"] = new JsonObject { ["volumeName"] = volume.Metadata.Name },
        }, ct);
        await BindAsync(claim, volume, ct);
        return Done(claim);
    }

    /// <summary>pv_controller.go <c>bind</c>: the claim's status becomes Bound with the volume's capacity (which may exceed the request).</summary>
    private async Task BindAsync(GenericObject claim, GenericObject volume, CancellationToken ct)
    {
        var volumeSpec = volume.Spec ?? [];
        await ctx.PatchStatusAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
        {
            ["phase"] = "Bound",
            ["accessModes"] = volumeSpec["accessModes"]?.DeepClone(),
            ["capacity"] = volumeSpec["capacity"]?.DeepClone(),
        }, ct);
    }

    private ReconcileResult Done(GenericObject claim)
    {
        _retries.TryRemove(claim.Metadata.Uid, out _);
        return ReconcileResult.Done;
    }

    private TimeSpan NextRetry(string uid) =>
        _retries.AddOrUpdate(uid, RetryStart, (_, last) => last * 2 > RetryMax ? RetryMax : last * 2);

    /// <summary>external-provisioner <c>getSnapshotSource</c>: why this snapshot cannot be restored into the claim, in upstream's words; null when it can.</summary>
    private string? SourceProblem(string ns, string snapshotName, long requestBytes, string provisioner, string className)
    {
        var snapshot = ctx.Get(KubeVirtTypes.VolumeSnapshot, ns, snapshotName);
        if (snapshot is null)
        {
            return $"error getting snapshot {snapshotName} from api server: volumesnapshots.snapshot.storage.k8s.io \"{snapshotName}\" not found";
        }

        if (snapshot.Metadata.DeletionTimestamp is not null)
        {
            return $"snapshot {snapshotName} is being deleted";
        }

        var status = snapshot.Status;
        if ((string?)status?["boundVolumeSnapshotContentName"] is not { } contentName)
        {
            return $"snapshot {snapshotName} not bound";
        }

        if ((string?)ctx.Get(KubeVirtTypes.VolumeSnapshotContent, null, contentName)?.Spec?["driver"] is { } driver && driver != provisioner)
        {
            return $"snapshotcontent {contentName} for snapshot {snapshotName} is not handled by CSI driver of StorageClass {className}";
        }

        if ((bool?)status?["readyToUse"] != true)
        {
            return $"snapshot {snapshotName} is not Ready";
        }

        return SimulatedStorage.Bytes(status?["restoreSize"]) is { } restoreSize && requestBytes < restoreSize
            ? $"requested volume size {requestBytes} is less than the size {restoreSize} for the source snapshot {snapshotName}"
            : null;
    }

    private long? RestoreSize(string ns, string snapshotName) =>
        SimulatedStorage.Bytes(ctx.Get(KubeVirtTypes.VolumeSnapshot, ns, snapshotName)?.Status?["restoreSize"]);

    /// <summary>The VolumeSnapshot (same namespace) the claim restores, from <c>dataSourceRef</c> or <c>dataSource</c>.</summary>
    public static string? SnapshotSource(JsonObject spec)
    {
        foreach (var field in (string[])["dataSourceRef", "dataSource"])
        {
            if (spec[field] is JsonObject source && (string?)source["kind"] == "VolumeSnapshot" && (string?)source["apiGroup"] == "snapshot.storage.k8s.io")
            {
                return (string?)source["name"];
            }
        }

        return null;
    }

    /// <summary>A data source some populator fills (e.g. CDI's VolumeCloneSource): the provisioner assumes an external populator will provision the volume.</summary>
    private static bool IsPopulated(JsonObject spec) =>
        spec["dataSourceRef"] is JsonObject source && (string?)source["kind"] is { } kind && kind != "VolumeSnapshot" && kind != "PersistentVolumeClaim";

    /// <summary>
    /// The volume the driver provisions for <paramref name="claim"/> (<c>pvc-&lt;claim uid&gt;</c>, bound to it), also the one CDI's
    /// populator hands over; without a class the simulated driver's defaults apply.
    /// </summary>
    public static JsonObject Volume(GenericObject claim, GenericObject? storageClass, long capacity)
    {
        var spec = claim.Spec ?? [];
        var provisioner = (string?)storageClass?.Fields["provisioner"] ?? SimulatedStorage.Driver;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolume",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"pvc-{claim.Metadata.Uid}",
                ["annotations"] = new JsonObject { [StorageKeys.ProvisionedBy] = provisioner },
            },
            ["spec"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["storage"] = SimulatedStorage.Format(capacity) },
                ["accessModes"] = spec["accessModes"]?.DeepClone() ?? new JsonArray("ReadWriteOnce"),
                ["volumeMode"] = (string?)spec["volumeMode"] ?? "Filesystem",
                ["persistentVolumeReclaimPolicy"] = (string?)storageClass?.Fields["reclaimPolicy"] ?? "Delete",
                ["storageClassName"] = storageClass?.Metadata.Name ?? (string?)spec["storageClassName"],
                ["claimRef"] = ClaimRef(claim),
                ["csi"] = new JsonObject { ["driver"] = provisioner, ["volumeHandle"] = $"vol-{claim.Metadata.Uid}" },
            },
        };
    }

    public static JsonObject ClaimRef(GenericObject claim) => new()
    {
        ["kind"] = "PersistentVolumeClaim",
        ["namespace"] = claim.Metadata.NamespaceProperty,
        ["name"] = claim.Metadata.Name,
        ["uid"] = claim.Metadata.Uid,
        ["apiVersion"] = "v1",
        ["resourceVersion"] = claim.Metadata.ResourceVersion,
    };
}
