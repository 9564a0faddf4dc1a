using Vers.Kube;

namespace Vers.Api.KubeVirt;

/// <summary>The KubeVirt and CDI kinds the operator reads and creates (KubeVirt ≥ 1.5 API versions).</summary>
public static class KubeVirtTypes
{
    public static readonly ResourceType VirtualMachine = new("kubevirt.io", "v1", "virtualmachines", "VirtualMachine");
    public static readonly ResourceType VirtualMachineSnapshot = new("snapshot.kubevirt.io", "v1beta1", "virtualmachinesnapshots", "VirtualMachineSnapshot");
    public static readonly ResourceType VirtualMachineSnapshotContent = new("snapshot.kubevirt.io", "v1beta1", "virtualmachinesnapshotcontents", "VirtualMachineSnapshotContent");
    public static readonly ResourceType VirtualMachineClone = new("clone.kubevirt.io", "v1beta1", "virtualmachineclones", "VirtualMachineClone");
    public static readonly ResourceType DataVolume = new("cdi.kubevirt.io", "v1beta1", "datavolumes", "DataVolume");
    public static readonly ResourceType VolumeSnapshot = new("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot");
    public static readonly ResourceType VirtualMachineRestore = new("snapshot.kubevirt.io", "v1beta1", "virtualmachinerestores", "VirtualMachineRestore");
    public static readonly ResourceType VirtualMachineExport = new("export.kubevirt.io", "v1", "virtualmachineexports", "VirtualMachineExport");

    // The storage objects KubeVirt and CDI make: core PVCs, and the CSI snapshot kinds.
    public static readonly ResourceType PersistentVolumeClaim = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim");
    public static readonly ResourceType PersistentVolume = new("", "v1", "persistentvolumes", "PersistentVolume", Namespaced: false);
    public static readonly ResourceType StorageClass = new("storage.k8s.io", "v1", "storageclasses", "StorageClass", Namespaced: false);
    public static readonly ResourceType VolumeSnapshotContent = new("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", Namespaced: false);
    public static readonly ResourceType VolumeSnapshotClass = new("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", Namespaced: false);

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        VirtualMachine, VirtualMachineSnapshot, VirtualMachineSnapshotContent, VirtualMachineRestore,
        VirtualMachineClone, VirtualMachineExport, DataVolume, VolumeSnapshot,
    ];
}
