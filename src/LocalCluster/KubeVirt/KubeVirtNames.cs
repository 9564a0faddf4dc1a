using System.Security.Cryptography;
using System.Text;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>The object names KubeVirt and CDI controllers derive (upstream conventions, made deterministic).</summary>
public static class KubeVirtNames
{
    public const string SourceVmNameLabel = "snapshot.kubevirt.io/source-vm-name";
    public const string SourceVmNamespaceLabel = "snapshot.kubevirt.io/source-vm-namespace";

    /// <summary>pkg/storage/snapshot: <c>vmsnapshot-content-&lt;snapshot UID&gt;</c>.</summary>
    public static string SnapshotContent(string snapshotUid) => $"vmsnapshot-content-{snapshotUid}";

    /// <summary>pkg/storage/snapshot: <c>vmsnapshot-&lt;snapshot UID&gt;-volume-&lt;volume&gt;</c>.</summary>
    public static string VolumeSnapshot(string snapshotUid, string volumeName) => $"vmsnapshot-{snapshotUid}-volume-{volumeName}";

    /// <summary>Restored volume of a clone's inner restore (RandomizeNames policy keyed by the clone).</summary>
    public static string RestoredVolume(string cloneUid, string volumeName) => $"restore-{cloneUid}-{volumeName}";

    /// <summary>clone.go: the temporary snapshot of a VM-sourced clone.</summary>
    public static string TemporarySnapshot(string cloneUid) => $"tmp-snapshot-{cloneUid}";

    /// <summary>
    /// clone-create-mutator.go fills <c>clone-&lt;source&gt;-&lt;5 random chars&gt;</c>; here the 5 chars come from the
    /// clone's UID so that a restarted simulator picks the same name.
    /// </summary>
    public static string GeneratedCloneTarget(string sourceName, string cloneUid)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789"; // apimachinery's rand.String alphabet
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(cloneUid));
        var suffix = new char[5];
        for (var i = 0; i < suffix.Length; i++) suffix[i] = alphabet[hash[i] % alphabet.Length];
        return $"clone-{sourceName}-{new string(suffix)}";
    }
}
