using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Kube;
using Vers.Kube.Informers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// How an event on one kind finds the objects of another kind it concerns (the simulator's watch mappings), by
/// informer indexes: an event costs the size of its answer, not of the cache. Every fork lives in one namespace,
/// so a scan of the namespace per event made the simulator quadratic in the number of forks.
/// </summary>
internal static class SimulatorIndexes
{
    /// <summary>VirtualMachines by <c>namespace/claim</c> of each claim their volumes use (a DataVolume's claim has its name).</summary>
    public const string VmsByClaim = "claim";

    /// <summary>VirtualMachineSnapshots by <c>namespace/name</c> of their source VM.</summary>
    public const string SnapshotsBySourceVm = "sourceVm";

    /// <summary>VirtualMachineClones by <c>namespace/kind/name</c> of their source.</summary>
    public const string ClonesBySource = "source";

    /// <summary>VirtualMachineClones by <c>namespace/name</c> of their target VM.</summary>
    public const string ClonesByTarget = "target";

    /// <summary>DataVolumes by <c>namespace/name</c> of the VolumeSnapshot they restore (in any namespace).</summary>
    public const string DataVolumesBySnapshot = "snapshotSource";

    /// <summary>PersistentVolumeClaims by <c>namespace/name</c> of the VolumeSnapshot they restore.</summary>
    public const string ClaimsBySnapshot = "snapshotSource";

    /// <summary>VolumeSnapshots by <c>namespace/name</c> of the claim they are taken of.</summary>
    public const string VolumeSnapshotsByClaim = "sourceClaim";

    /// <summary>VirtualMachineRestores by <c>namespace/name</c> of their snapshot.</summary>
    public const string RestoresBySnapshot = "snapshot";

    // Peek, not Spec: an index function runs on every cached object, and reading Spec would keep a node tree per object.
    public static void Register(SimulatorContext ctx)
    {
        ctx.VirtualMachines.AddIndex(VmsByClaim, vm =>
            (vm.Peek()["spec"]?["template"]?["spec"]?["volumes"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(SnapshotClasses.ClaimOf)
            .OfType<string>()
            .Select(claim => Key(vm.Metadata.NamespaceProperty, claim))
            .Distinct(StringComparer.Ordinal));
        ctx.Snapshots.AddIndex(SnapshotsBySourceVm, snapshot =>
            (string?)snapshot.Peek()["spec"]?["source"]?["name"] is { } vm ? [Key(snapshot.Metadata.NamespaceProperty, vm)] : []);
        ctx.Clones.AddIndex(ClonesBySource, clone =>
            clone.Peek()["spec"]?["source"] is JsonObject source && (string?)source["kind"] is { } kind && (string?)source["name"] is { } name
                ? [Key(clone.Metadata.NamespaceProperty, kind, name)]
                : []);
        ctx.Clones.AddIndex(ClonesByTarget, clone =>
            (string?)clone.Peek()["spec"]?["target"]?["name"] is { Length: > 0 } target ? [Key(clone.Metadata.NamespaceProperty, target)] : []);
        ctx.DataVolumes.AddIndex(DataVolumesBySnapshot, dv =>
            dv.Peek()["spec"]?["source"]?["snapshot"] is JsonObject source && (string?)source["name"] is { } name
                ? [Key((string?)source["namespace"] ?? dv.Metadata.NamespaceProperty, name)]
                : []);
        ctx.Claims.AddIndex(ClaimsBySnapshot, claim =>
            claim.Peek()["spec"] is JsonObject spec && ClaimReconciler.SnapshotSource(spec) is { } vs ? [Key(claim.Metadata.NamespaceProperty, vs)] : []);
        ctx.VolumeSnapshots.AddIndex(VolumeSnapshotsByClaim, vs =>
            (string?)vs.Peek()["spec"]?["source"]?["persistentVolumeClaimName"] is { } claim ? [Key(vs.Metadata.NamespaceProperty, claim)] : []);
        ctx.Restores.AddIndex(RestoresBySnapshot, restore =>
            (string?)restore.Peek()["spec"]?["virtualMachineSnapshotName"] is { } snapshot ? [Key(restore.Metadata.NamespaceProperty, snapshot)] : []);
    }

    /// <summary>The VMs in the claim's namespace with a volume on it (for a DataVolume: on its claim).</summary>
    public static IEnumerable<ObjectKey> VmsUsing(SimulatorContext ctx, GenericObject claimOrDataVolume) =>
        Keys(ctx.VirtualMachines, VmsByClaim, Key(claimOrDataVolume.Metadata.NamespaceProperty, claimOrDataVolume.Metadata.Name));

    /// <summary>The snapshots of the VM.</summary>
    public static IEnumerable<ObjectKey> SnapshotsOf(SimulatorContext ctx, GenericObject vm) =>
        Keys(ctx.Snapshots, SnapshotsBySourceVm, Key(vm.Metadata.NamespaceProperty, vm.Metadata.Name));

    /// <summary>The snapshots of every VM using the claim: a claim that binds may let them lock their source.</summary>
    public static IEnumerable<ObjectKey> SnapshotsUsing(SimulatorContext ctx, GenericObject claimOrDataVolume) =>
        VmsUsing(ctx, claimOrDataVolume).SelectMany(vm => Keys(ctx.Snapshots, SnapshotsBySourceVm, Key(vm.Namespace, vm.Name)));

    /// <summary>The clones in its namespace whose source is the object named <paramref name="name"/> of <paramref name="kind"/>.</summary>
    public static IEnumerable<ObjectKey> ClonesOf(SimulatorContext ctx, string? ns, string kind, string? name) =>
        name is null ? [] : Keys(ctx.Clones, ClonesBySource, Key(ns, kind, name));

    /// <summary>The clones whose target is the VM.</summary>
    public static IEnumerable<ObjectKey> ClonesTargeting(SimulatorContext ctx, GenericObject vm) =>
        Keys(ctx.Clones, ClonesByTarget, Key(vm.Metadata.NamespaceProperty, vm.Metadata.Name));

    /// <summary>The DataVolumes, in any namespace, that restore the VolumeSnapshot.</summary>
    public static IEnumerable<ObjectKey> DataVolumesRestoring(SimulatorContext ctx, GenericObject volumeSnapshot) =>
        Keys(ctx.DataVolumes, DataVolumesBySnapshot, Key(volumeSnapshot.Metadata.NamespaceProperty, volumeSnapshot.Metadata.Name));

    /// <summary>The claims in its namespace that restore the VolumeSnapshot.</summary>
    public static IEnumerable<ObjectKey> ClaimsRestoring(SimulatorContext ctx, GenericObject volumeSnapshot) =>
        Keys(ctx.Claims, ClaimsBySnapshot, Key(volumeSnapshot.Metadata.NamespaceProperty, volumeSnapshot.Metadata.Name));

    /// <summary>The VolumeSnapshots taken of the claim.</summary>
    public static IEnumerable<ObjectKey> VolumeSnapshotsOf(SimulatorContext ctx, GenericObject claim) =>
        Keys(ctx.VolumeSnapshots, VolumeSnapshotsByClaim, Key(claim.Metadata.NamespaceProperty, claim.Metadata.Name));

    /// <summary>The restores of the snapshot.</summary>
    public static IEnumerable<ObjectKey> RestoresOf(SimulatorContext ctx, string? ns, string? snapshot) =>
        snapshot is null ? [] : Keys(ctx.Restores, RestoresBySnapshot, Key(ns, snapshot));

    private static IEnumerable<ObjectKey> Keys(ResourceInformer<GenericObject> informer, string index, string value) =>
        informer.ByIndex(index, value).Select(ObjectKey.Of);

    // '/' cannot occur in namespaces, names or kinds, so the keys are unambiguous.
    private static string Key(string? ns, string name) => $"{ns}/{name}";

    private static string Key(string? ns, string kind, string name) => $"{ns}/{kind}/{name}";
}
