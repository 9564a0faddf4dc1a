using System.Text.Json.Nodes;
using k8s.Models;
using Vers.Operator.Commits;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// The new commit: a Commit named by the commit id recorded in status, and its VirtualMachineSnapshot of the running
/// VM (same name, owned by the Commit, <c>failureDeadline</c> = the snapshot budget). Progress: <c>readyToUse</c> (KubeVirt
/// sets phase Succeeded when the volume snapshots are created, before they are ready). Terminal: phase Failed (KubeVirt's
/// deadline, an error), and a snapshot that left out a disk holding data — the <c>PartialSnapshot</c> indication, or a
/// PVC- or DataVolume-backed volume among <c>snapshotVolumes.excludedVolumes</c>: such a snapshot never becomes a commit.
/// Volumes KubeVirt never snapshots (cloud-init, containerDisk, ...) are listed there too and do not count.
/// Rollback: the snapshot and the Commit.
/// </summary>
public sealed class CommitStep(ForkServices services) : IForkStep
{
    public string Name => "Commit";

    public async Task<StepResult> RunAsync(ForkContext fork, CancellationToken ct)
    {
        var ns = fork.Namespace;
        var commitId = fork.CommitId;
        var commit = services.Commits.Get(ns, commitId);
        if (commit is null)
        {
            commit = await services.CreateOrAdoptAsync(Commit.Type, DesiredCommit(fork), fork, ct);
            services.Commits.Wrote(commit);
        }

        var snapshot = services.Snapshots.Get(ns, commitId);
        if (snapshot is null)
        {
            snapshot = await services.CreateOrAdoptAsync(
                KubeVirtTypes.VirtualMachineSnapshot,
                KubeVirtObjects.Snapshot(
                    ns, commitId, fork.VmId, fork.Labels(), KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Commit", commit.Metadata), services.Options.SnapshotTimeout),
                fork,
                ct);
            services.Snapshots.Wrote(snapshot);
        }

        // Once: a cached object parses its fields on every read.
        var status = snapshot.Status;
        var what = $"VirtualMachineSnapshot {ns}/{commitId}";
        if ((string?)status?["phase"] == "Failed")
        {
            var message = (string?)status["error"]?["message"] ?? SourceGuard.ConditionMessage(status, "Failure");
            throw new ForkFailedException(ForkReasons.SnapshotFailed, $"{what} failed: {message}");
        }

        if (LeftOut(status, services.Vms.Get(ns, fork.VmId)) is { Count: > 0 } missing)
        {
            throw new ForkFailedException(
                ForkReasons.SnapshotIncomplete,
                $"{what} left out volume(s) {string.Join(", ", missing)}, so it cannot be a commit (KubeVirt snapshots only volumes whose StorageClass has a VolumeSnapshotClass: {Indication(status)})");
        }

        if (status?["readyToUse"]?.GetValue<bool>() != true)
        {
            var budget = services.Options.CloneTimeout + services.Options.StartTimeout + services.Options.SnapshotTimeout;
            return StepResult.Waiting(services.Deadline(fork, budget, $"{what} did not become ready to use"));
        }

        return StepResult.Done;
    }

    public async Task RollbackAsync(ForkContext fork, CancellationToken ct)
    {
        if (fork.Status.CommitId is { } commitId)
        {
            await services.DeleteAsync(KubeVirtTypes.VirtualMachineSnapshot, fork.Namespace, commitId, ct);
            await services.DeleteAsync(Commit.Type, fork.Namespace, commitId, ct);
        }
    }

    /// <summary>
    /// The disks holding data that the snapshot left out: the excluded volumes that are PVC- or DataVolume-backed in the
    /// VM, or — when KubeVirt flags <c>PartialSnapshot</c> and the VM is not at hand — every excluded volume.
    /// </summary>
    public static IReadOnlyList<string> LeftOut(JsonObject? status, GenericObject? vm)
    {
        var excluded = (status?["snapshotVolumes"]?["excludedVolumes"] as JsonArray ?? []).Select(v => (string?)v).OfType<string>().ToList();
        var partial = HasIndication(status, "PartialSnapshot");
        if (vm?.Spec?["template"]?["spec"]?["volumes"] is not JsonArray volumes)
        {
            return partial ? (excluded.Count > 0 ? excluded : ["(unknown)"]) : [];
        }

        var withData = volumes.OfType<JsonObject>()
            .Where(v => v["persistentVolumeClaim"] is not null || v["dataVolume"] is not null)
            .Select(v => (string?)v["name"])
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var missing = excluded.Where(withData.Contains).ToList();
        return missing.Count == 0 && partial ? (excluded.Count > 0 ? excluded : ["(unknown)"]) : missing;
    }

    private static bool HasIndication(JsonObject? status, string indication) =>
        (status?["sourceIndications"] as JsonArray ?? []).OfType<JsonObject>().Any(i => (string?)i["indication"] == indication)
        || (status?["indications"] as JsonArray ?? []).Any(i => (string?)i == indication);

    private static string Indication(JsonObject? status) =>
        (status?["sourceIndications"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(i => (string?)i["indication"] == "PartialSnapshot")
            .Select(i => (string?)i["message"])
            .FirstOrDefault() ?? "see status.snapshotVolumes";

    private static Commit DesiredCommit(ForkContext fork) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = fork.CommitId,
            NamespaceProperty = fork.Namespace,
            Labels = fork.Labels(),
            Finalizers = [CommitReconciler.Finalizer],
        },
        Spec = new CommitSpec
        {
            SnapshotName = fork.CommitId,
            SourceVm = fork.VmId,
            ParentCommit = new CommitParent { Org = fork.Fork.Spec.SourceOrg, CommitId = fork.Source.CommitId! },
        },
    };
}
