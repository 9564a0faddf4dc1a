namespace Vers.LocalCluster.KubeVirt.Snapshots;

/// <summary>KubeVirt's snapshot, restore and clone keys and messages (pkg/storage/snapshot, pkg/virt-controller/watch/clone at v1.9.0).</summary>
internal static class SnapshotKeys
{
    public const string SnapshotFinalizer = "snapshot.kubevirt.io/vmsnapshot-protection";
    public const string ContentFinalizer = "snapshot.kubevirt.io/vmsnapshotcontent-protection";
    public const string SourceFinalizer = "snapshot.kubevirt.io/snapshot-source-protection";
    public const string RestoreFinalizer = "snapshot.kubevirt.io/vmrestore-protection";
    public const string SourceVmNameLabel = "snapshot.kubevirt.io/source-vm-name";
    public const string SourceVmNamespaceLabel = "snapshot.kubevirt.io/source-vm-namespace";
    public const string RestoreNameAnnotation = "restore.kubevirt.io/name";
    public const string LastRestoreUid = "restore.kubevirt.io/lastRestoreUID";
    public const string RestoreSourceVmName = "restore.kubevirt.io/source-vm-name";
    public const string RestoreSourceVmNamespace = "restore.kubevirt.io/source-vm-namespace";
    /// <summary>staging api snapshot/v1beta1 DefaultFailureDeadline.</summary>
    public static readonly TimeSpan DefaultFailureDeadline = TimeSpan.FromMinutes(5);

    public const string DeadlineExceeded = "snapshot deadline exceeded";
    public const string SourceLocked = "Source locked and operation in progress";
    public const string SourceNotLocked = "Source not locked";

    /// <summary>snapshot.go <c>indicationMessages</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> IndicationMessages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Online"] = "Snapshot taken while the VM was running. Consistency depends on guest-agent quiescing.",
        ["GuestAgent"] = "Guest agent was active and attempted to quiesce the filesystem for application consistency.",
        ["NoGuestAgent"] = "Guest agent was not available. Snapshot is crash-consistent and may not be application-consistent.",
        ["Paused"] = "Snapshot taken while the VM was paused. Snapshot is crash-consistent and may not be application-consistent.",
        ["PartialSnapshot"] = "Not all snapshotable volumes were included in the snapshot. Check status.snapshotVolumes for excluded volumes and VM VolumeSnapshotStatus for details.",
    };

    public static string ContentName(string snapshotUid) => $"vmsnapshot-content-{snapshotUid}";

    public static string VolumeSnapshotName(string snapshotUid, string volumeName) => $"vmsnapshot-{snapshotUid}-volume-{volumeName}";
}
