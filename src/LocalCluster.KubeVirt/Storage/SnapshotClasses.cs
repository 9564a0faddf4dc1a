using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.LocalCluster.KubeVirt.Storage;

/// <summary>
/// Which VolumeSnapshotClass KubeVirt uses for a volume's StorageClass (pkg/storage/snapshot/snapshot.go
/// <c>getVolumeSnapshotClassName</c>): the classes whose driver is the StorageClass's provisioner; one is used as it
/// is, several need the default-class annotation (its value is not checked), several without it are an error.
/// CDI StorageProfiles (<c>status.snapshotClass</c>) are not modelled.
/// </summary>
internal static class SnapshotClasses
{
    public static (string? Name, string? Error) For(SimulatorContext ctx, string storageClassName)
    {
        var storageClass = SimulatedStorage.ClassOf(ctx, storageClassName);
        if (storageClass is null || ctx.Options.ExcludeVolumes)
        {
            return (null, null);
        }

        var provisioner = (string?)storageClass.Fields["provisioner"];
        var matching = ctx.VolumeSnapshotClasses.List().Where(c => (string?)c.Fields["driver"] == provisioner).OrderBy(c => c.Metadata.Name, StringComparer.Ordinal).ToList();
        return matching.Count switch
        {
            0 => (null, null),
            1 => (matching[0].Metadata.Name, null),
            _ => matching.FirstOrDefault(c => c.Metadata.Annotations?.ContainsKey(StorageKeys.DefaultSnapshotClassAnnotation) == true) is { } chosen
                ? (chosen.Metadata.Name, null)
                : (null, $"{matching.Count} matching VolumeSnapshotClasses for {storageClassName}"),
        };
    }

    /// <summary>The claim behind a VM volume: a PVC volume's claim, or a DataVolume volume's (same name).</summary>
    public static string? ClaimOf(System.Text.Json.Nodes.JsonObject volume) =>
        (string?)volume["persistentVolumeClaim"]?["claimName"] ?? (string?)volume["dataVolume"]?["name"] ?? (string?)volume["memoryDump"]?["claimName"];

    public static GenericObject? Claim(SimulatorContext ctx, string? ns, string name) => ctx.Get(KubeVirtTypes.PersistentVolumeClaim, ns, name);
}
