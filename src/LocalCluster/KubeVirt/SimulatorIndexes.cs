using System.Text.Json.Nodes;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Informers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// How an event on one kind finds the objects of another kind it concerns (the simulator's watch mappings), by
/// informer indexes: an event costs the size of its answer, not of the cache. Every fork lives in one namespace,
/// so a scan of the namespace per event made the simulator quadratic in the number of forks.
/// </summary>
internal static class SimulatorIndexes
{
    /// <summary>VirtualMachines by <c>namespace/name</c> of each DataVolume their volumes use.</summary>
    public const string VmsByDataVolume = "dataVolume";

    /// <summary>VirtualMachineSnapshots by <c>namespace/name</c> of their source VM.</summary>
    public const string SnapshotsBySourceVm = "sourceVm";

    /// <summary>VirtualMachineClones by <c>namespace/kind/name</c> of their source.</summary>
    public const string ClonesBySource = "source";

    /// <summary>DataVolumes by <c>namespace/name</c> of the VolumeSnapshot they restore (in any namespace).</summary>
    public const string DataVolumesBySnapshot = "snapshotSource";

    // Peek, not Spec: an index function runs on every cached object, and reading Spec would keep a node tree per object.
    public static void Register(SimulatorContext ctx)
    {
        ctx.VirtualMachines.AddIndex(VmsByDataVolume, vm =>
            (vm.Peek()["spec"]?["template"]?["spec"]?["volumes"] as JsonArray ?? [])
            .Select(v => (string?)v?["dataVolume"]?["name"])
            .OfType<string>()
            .Select(dv => Key(vm.Metadata.NamespaceProperty, dv))
            .Distinct(StringComparer.Ordinal));
        ctx.Snapshots.AddIndex(SnapshotsBySourceVm, snapshot =>
            (string?)snapshot.Peek()["spec"]?["source"]?["name"] is { } vm ? [Key(snapshot.Metadata.NamespaceProperty, vm)] : []);
        ctx.Clones.AddIndex(ClonesBySource, clone =>
            clone.Peek()["spec"]?["source"] is JsonObject source && (string?)source["kind"] is { } kind && (string?)source["name"] is { } name
                ? [Key(clone.Metadata.NamespaceProperty, kind, name)]
                : []);
        ctx.DataVolumes.AddIndex(DataVolumesBySnapshot, dv =>
            dv.Peek()["spec"]?["source"]?["snapshot"] is JsonObject source && (string?)source["name"] is { } name
                ? [Key((string?)source["namespace"] ?? dv.Metadata.NamespaceProperty, name)]
                : []);
    }

    /// <summary>The VMs in the DataVolume's namespace with a volume on it.</summary>
    public static IEnumerable<ObjectKey> VmsUsing(SimulatorContext ctx, GenericObject dataVolume) =>
        Keys(ctx.VirtualMachines, VmsByDataVolume, Key(dataVolume.Metadata.NamespaceProperty, dataVolume.Metadata.Name));

    /// <summary>The snapshots of the VM.</summary>
    public static IEnumerable<ObjectKey> SnapshotsOf(SimulatorContext ctx, GenericObject vm) =>
        Keys(ctx.Snapshots, SnapshotsBySourceVm, Key(vm.Metadata.NamespaceProperty, vm.Metadata.Name));

    /// <summary>The clones in its namespace whose source is the object named <paramref name="name"/> of <paramref name="kind"/>.</summary>
    public static IEnumerable<ObjectKey> ClonesOf(SimulatorContext ctx, string ns, string kind, string? name) =>
        name is null ? [] : Keys(ctx.Clones, ClonesBySource, Key(ns, kind, name));

    /// <summary>The DataVolumes, in any namespace, that restore the VolumeSnapshot.</summary>
    public static IEnumerable<ObjectKey> DataVolumesRestoring(SimulatorContext ctx, GenericObject volumeSnapshot) =>
        Keys(ctx.DataVolumes, DataVolumesBySnapshot, Key(volumeSnapshot.Metadata.NamespaceProperty, volumeSnapshot.Metadata.Name));

    private static IEnumerable<ObjectKey> Keys(ResourceInformer<GenericObject> informer, string index, string value) =>
        informer.ByIndex(index, value).Select(ObjectKey.Of);

    // '/' cannot occur in namespaces, names or kinds, so the keys are unambiguous.
    private static string Key(string? ns, string name) => $"{ns}/{name}";

    private static string Key(string? ns, string kind, string name) => $"{ns}/{kind}/{name}";
}
