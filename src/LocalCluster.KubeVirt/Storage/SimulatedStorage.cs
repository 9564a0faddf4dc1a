using System.Text.Json.Nodes;
using k8s.Models;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.LocalCluster.KubeVirt.Storage;

/// <summary>
/// The storage the simulated cluster offers, like a cluster's CSI driver install: a default StorageClass whose
/// driver takes snapshots (with its VolumeSnapshotClass), binding on first use as local-path and most node-local
/// drivers do, and a second class on a driver without snapshot support, where KubeVirt leaves volumes out of VM
/// snapshots. The driver allocates whole GiB, as cloud block drivers do (AWS EBS, GCE PD, Azure Disk round
/// capacity up to GiB): a claim gets at least what it asked for, often more, and a snapshot's restoreSize is the
/// volume's capacity.
/// </summary>
public static class SimulatedStorage
{
    public const string Driver = "csi.localcluster.vers.sh";
    public const string NoSnapshotDriver = "nosnap.csi.localcluster.vers.sh";
    public const string DefaultClass = "local-csi";
    public const string SnapshotClass = "local-csi-snapclass";
    public const string NoSnapshotClass = "local-nosnap";

    /// <summary>The node the simulated scheduler places every pod on.</summary>
    public const string Node = "localcluster-node-1";

    public const long GiB = 1L << 30;

    /// <summary>The capacity the driver provisions for a request: rounded up to whole GiB.</summary>
    public static long Allocate(long requestBytes) => Math.Max(1, (requestBytes + GiB - 1) / GiB) * GiB;

    public static bool IsOurs(string? provisioner) => provisioner is Driver or NoSnapshotDriver;

    public static JsonObject DefaultStorageClass() => StorageClass(DefaultClass, Driver, "WaitForFirstConsumer", isDefault: true);

    public static JsonObject NoSnapshotStorageClass() => StorageClass(NoSnapshotClass, NoSnapshotDriver, "Immediate", isDefault: false);

    public static JsonObject VolumeSnapshotClass() => new()
    {
        ["apiVersion"] = KubeVirtTypes.VolumeSnapshotClass.ApiVersion,
        ["kind"] = KubeVirtTypes.VolumeSnapshotClass.Kind,
        ["metadata"] = new JsonObject
        {
            ["name"] = SnapshotClass,
            ["annotations"] = new JsonObject { [StorageKeys.DefaultSnapshotClassAnnotation] = "true" },
        },
        ["driver"] = Driver,
        ["deletionPolicy"] = "Delete",
    };

    private static JsonObject StorageClass(string name, string provisioner, string bindingMode, bool isDefault)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (isDefault)
        {
            metadata["annotations"] = new JsonObject { [StorageKeys.DefaultStorageClassAnnotation] = "true" };
        }

        return new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.StorageClass.ApiVersion,
            ["kind"] = KubeVirtTypes.StorageClass.Kind,
            ["metadata"] = metadata,
            ["provisioner"] = provisioner,
            ["reclaimPolicy"] = "Delete",
            ["volumeBindingMode"] = bindingMode,
            ["allowVolumeExpansion"] = true,
        };
    }

    /// <summary>A storage quantity in bytes (Kubernetes quantity syntax), rounded up like <c>Quantity.Value()</c>; null when absent or unreadable.</summary>
    public static long? Bytes(JsonNode? quantity)
    {
        if (quantity is null || quantity.ToString() is not { Length: > 0 } text)
        {
            return null;
        }

        try
        {
            return (long)decimal.Ceiling(new ResourceQuantity(text).ToDecimal());
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Bytes as apimachinery prints <c>resource.NewQuantity(n, BinarySI)</c>: "11Gi", "10Mi", or plain bytes.</summary>
    public static string Format(long bytes) => new ResourceQuantity(bytes, 0, ResourceQuantity.SuffixFormat.BinarySI).CanonicalizeString();

    /// <summary>The storage a StorageClass's driver offers, from the cache (null for a class that does not exist).</summary>
    internal static GenericObject? ClassOf(SimulatorContext ctx, string? name) =>
        name is null ? null : ctx.Get(KubeVirtTypes.StorageClass, null, name);
}

/// <summary>The annotation, label and finalizer keys of the Kubernetes storage machinery (values verbatim from upstream).</summary>
public static class StorageKeys
{
    public const string DefaultStorageClassAnnotation = "storageclass.kubernetes.io/is-default-class";
    public const string DefaultSnapshotClassAnnotation = "snapshot.storage.kubernetes.io/is-default-class";
    public const string StorageProvisioner = "volume.kubernetes.io/storage-provisioner";
    public const string BetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner";
    public const string SelectedNode = "volume.kubernetes.io/selected-node";
    public const string BindCompleted = "pv.kubernetes.io/bind-completed";
    public const string BoundByController = "pv.kubernetes.io/bound-by-controller";
    public const string ProvisionedBy = "pv.kubernetes.io/provisioned-by";
    public const string VolumeSnapshotAsSourceFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection";
    public const string VolumeSnapshotBoundFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection";
    public const string VolumeSnapshotContentFinalizer = "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection";
}
