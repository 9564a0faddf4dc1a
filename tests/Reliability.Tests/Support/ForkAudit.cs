using System.Text.Json.Nodes;
using Vers.Api;
using Vers.Kube;
using Vers.Testing;

namespace Vers.Reliability.Tests.Support;

/// <summary>
/// Checks a namespace against the forks made in it: every succeeded fork has exactly its objects (VM, its disks —
/// DataVolumes and their claims, or the claims KubeVirt restored —, the new commit's VirtualMachineSnapshot with its
/// content and VolumeSnapshots, Commit, Tag, claimed Repository, and the VirtualMachineClone within an org, whose
/// temporary restore may still be there while its claims bind) with consistent ids; a failed fork left nothing; and nothing else appeared
/// that was not there before (<paramref name="baseline"/>). Unaccounted objects are orphans; those labelled with a
/// fork's uid are also duplicates (a second VM, snapshot, … of one fork).
/// </summary>
public static class ForkAudit
{
    public const string Vm = "VirtualMachine.kubevirt.io";
    public const string Snapshot = "VirtualMachineSnapshot.snapshot.kubevirt.io";
    public const string Content = "VirtualMachineSnapshotContent.snapshot.kubevirt.io";
    public const string VolumeSnapshot = "VolumeSnapshot.snapshot.storage.k8s.io";
    public const string Clone = "VirtualMachineClone.clone.kubevirt.io";
    public const string DataVolume = "DataVolume.cdi.kubevirt.io";
    public const string Claim = "PersistentVolumeClaim";
    public const string Restore = "VirtualMachineRestore.snapshot.kubevirt.io";
    public const string CommitKind = "Commit.vers.sh";
    public const string TagKind = "Tag.vers.sh";
    public const string RepositoryKind = "Repository.vers.sh";
    public const string ForkKind = "RepositoryFork.vers.sh";

    public sealed record Result(List<string> Orphans, List<string> Duplicates, List<string> Lost, List<string> Inconsistent)
    {
        public bool Clean => Orphans.Count == 0 && Duplicates.Count == 0 && Lost.Count == 0 && Inconsistent.Count == 0;

        public override string ToString() =>
            $"orphans [{string.Join(", ", Orphans)}]; duplicates [{string.Join(", ", Duplicates)}]; lost [{string.Join(", ", Lost)}]; inconsistent [{string.Join(", ", Inconsistent)}]";
    }

    public static Result Check(ClusterInventory.Snapshot inventory, IReadOnlyCollection<(string Kind, string Name)> baseline, IEnumerable<RepositoryFork> forks)
    {
        var accounted = new HashSet<(string Kind, string Name)>(baseline);
        var lost = new List<string>();
        var inconsistent = new List<string>();
        var forkUids = new HashSet<string>();
        foreach (var fork in forks)
        {
            forkUids.Add(fork.Metadata.Uid);
            accounted.Add((ForkKind, fork.Metadata.Name));
            if (fork.Status?.Phase != ForkPhase.Succeeded)
            {
                continue;
            }

            var expected = Expected(inventory, fork, inconsistent);
            foreach (var item in expected)
            {
                accounted.Add(item);
                if (inventory.Find(item.Kind, item.Name) is null)
                {
                    lost.Add($"{fork.Metadata.Name}: {item.Kind} {item.Name}");
                }
            }
        }

        var orphans = new List<string>();
        var duplicates = new List<string>();
        foreach (var (kind, obj) in inventory.All)
        {
            if (accounted.Contains((kind, obj.Metadata.Name)))
            {
                continue;
            }

            // Whether it is on its way out, and what holds it, tells a slow deletion from a forgotten object.
            var state = obj.Metadata.DeletionTimestamp is null ? "" : $" (terminating, finalizers [{string.Join(", ", obj.Metadata.Finalizers ?? [])}])";
            orphans.Add($"{kind} {obj.Metadata.Name}{state}");
            if (obj.Metadata.Labels?.TryGetValue(VersGroup.ForkUidLabel, out var uid) == true && forkUids.Contains(uid))
            {
                duplicates.Add($"{kind} {obj.Metadata.Name}");
            }
        }

        return new Result(orphans, duplicates, lost, inconsistent);
    }

    /// <summary>What a succeeded fork leaves behind, read by following references from its status.</summary>
    private static List<(string Kind, string Name)> Expected(ClusterInventory.Snapshot inventory, RepositoryFork fork, List<string> inconsistent)
    {
        var s = fork.Status!;
        var name = fork.Metadata.Name;
        var items = new List<(string, string)>();
        if (s.VmId is null || s.CommitId is null || s.RepoName is null || s.TagName is null)
        {
            inconsistent.Add($"{name}: succeeded without ids");
            return items;
        }

        void Expect(bool ok, string what)
        {
            if (!ok)
            {
                inconsistent.Add($"{name}: {what}");
            }
        }

        var repoObject = VersNames.ToObjectName(s.RepoName);
        var tagObject = VersNames.TagObjectName(s.RepoName, s.TagName);
        items.AddRange([(Vm, s.VmId), (Snapshot, s.CommitId), (CommitKind, s.CommitId), (TagKind, tagObject), (RepositoryKind, repoObject)]);
        Expect(Guid.TryParse(s.VmId, out _) && Guid.TryParse(s.CommitId, out _), "ids are uuids");
        Expect(s.Reference == $"{s.RepoName}:{s.TagName}", "reference is repo:tag");

        var vm = inventory.Find(Vm, s.VmId);
        if (vm is not null)
        {
            Expect(HasForkLabel(vm, fork), "VM carries the fork's uid label");
            Expect((string?)vm.Spec?["runStrategy"] == "Always", "VM runs");
            foreach (var volume in vm.Spec?["template"]?["spec"]?["volumes"] as JsonArray ?? [])
            {
                if ((string?)volume?["dataVolume"]?["name"] is { } dv)
                {
                    items.Add((DataVolume, dv));
                    items.Add((Claim, dv));
                }

                if ((string?)volume?["persistentVolumeClaim"]?["claimName"] is { } claim)
                {
                    items.Add((Claim, claim));
                }
            }
        }

        var snapshot = inventory.Find(Snapshot, s.CommitId);
        if (snapshot is not null)
        {
            Expect((string?)snapshot.Spec?["source"]?["name"] == s.VmId, "the commit's snapshot is of the fork's VM");
            Expect(snapshot.Status?["readyToUse"]?.GetValue<bool>() == true, "the commit's snapshot is ready");
            if ((string?)snapshot.Status?["virtualMachineSnapshotContentName"] is { } contentName)
            {
                items.Add((Content, contentName));
                foreach (var backup in inventory.Find(Content, contentName)?.Spec?["volumeBackups"] as JsonArray ?? [])
                {
                    if ((string?)backup?["volumeSnapshotName"] is { } vs)
                    {
                        items.Add((VolumeSnapshot, vs));
                    }
                }
            }
        }

        var commit = inventory.Find(CommitKind, s.CommitId);
        if (commit is not null)
        {
            Expect((string?)commit.Spec?["snapshotName"] == s.CommitId, "commit names its snapshot");
            Expect((string?)commit.Spec?["sourceVm"] == s.VmId, "commit names the fork's VM");
            Expect((string?)commit.Spec?["parentCommit"]?["commitId"] == s.Resolved?.CommitId, "commit's parent is the source commit");
            Expect(commit.Status?["readyToUse"]?.GetValue<bool>() == true, "commit is ready");
        }

        var tag = inventory.Find(TagKind, tagObject);
        if (tag is not null)
        {
            Expect((string?)tag.Spec?["commitId"] == s.CommitId, "tag points at the new commit");
            Expect((string?)tag.Status?["reference"] == s.Reference, "tag has its reference");
        }

        var repository = inventory.Find(RepositoryKind, repoObject);
        if (repository is not null)
        {
            Expect(repository.Metadata.Annotations?.TryGetValue(VersGroup.ClaimedByAnnotation, out var claimedBy) == true && claimedBy == fork.Metadata.Uid, "repository is claimed by the fork");
            Expect((repository.Status?["conditions"] as JsonArray ?? []).Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True"), "repository is Ready");
        }

        if (s.Resolved?.Method == "VirtualMachineClone")
        {
            items.Add((Clone, s.VmId));
            if (inventory.Find(Clone, s.VmId) is { } clone && inventory.Find(Restore, $"tmp-restore-{clone.Metadata.Uid}") is not null)
            {
                items.Add((Restore, $"tmp-restore-{clone.Metadata.Uid}"));
            }
        }

        return items;
    }

    private static bool HasForkLabel(GenericObject obj, RepositoryFork fork) =>
        obj.Metadata.Labels?.TryGetValue(VersGroup.ForkUidLabel, out var uid) == true && uid == fork.Metadata.Uid;
}
