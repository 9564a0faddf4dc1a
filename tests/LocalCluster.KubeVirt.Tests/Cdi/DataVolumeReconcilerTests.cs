using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt;
using Vers.Kube;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Cdi;

/// <summary>CDI v1.66's DataVolume controllers (import and snapshot clone) with its clone populator.</summary>
public sealed class DataVolumeReconcilerTests
{
    private const string CrossNamespaceFinalizer = "cdi.kubevirt.io/dataVolumeFinalizer";

    /// <summary>CDI datavolume/util.go renderPvcSpecVolumeSize → common/util.go InflateSizeWithOverhead (1 MiB aligned, ×1.06 on Filesystem).</summary>
    [Fact]
    public async Task An_import_onto_filesystem_storage_requests_its_size_plus_the_filesystem_overhead()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns, size: "10Gi", immediate: true));

        var claim = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");

        Assert.Equal("11381663335", claim.At("spec.resources.requests.storage"));
        Assert.Equal("11Gi", claim.At("status.capacity.storage"));
        Assert.Equal(DefaultClass, claim.At("spec.storageClassName"));
        Assert.Equal("Filesystem", claim.At("spec.volumeMode"));
    }

    /// <summary>CDI controller-base.go newPersistentVolumeClaim: the claim is named after the DataVolume and controlled by it.</summary>
    [Fact]
    public async Task A_data_volume_claim_has_its_name_and_is_controlled_by_it()
    {
        await using var h = await StartAsync();
        var dv = await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns, immediate: true));

        var claim = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", _ => true, "the claim");

        var owner = Assert.Single(claim.Metadata.OwnerReferences);
        Assert.Equal(("DataVolume", dv.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller == true));
        Assert.Equal("containerized-data-importer", claim.Metadata.Labels["app"]);
        Assert.Equal(dv.Metadata.Uid, claim.Annotation("cdi.kubevirt.io/createdForDataVolume"));
    }

    /// <summary>CDI import-controller phases: ImportScheduled, ImportInProgress, then Succeeded once the claim is populated (Ready True, progress 100.0%).</summary>
    [Fact]
    public async Task An_import_goes_through_ImportScheduled_and_ImportInProgress_to_Succeeded()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("DataVolume", TimeSpan.FromMilliseconds(50)));
        await using var recording = await h.RecordAsync(T.DataVolume, Ns, "disk");

        await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns, immediate: true));
        var versions = await recording.UntilAsync(dv => dv.Phase() == "Succeeded");

        Assert.Equal(["ImportScheduled", "ImportInProgress", "Succeeded"], Phases(versions).SkipWhile(p => p != "ImportScheduled"));
        var done = versions[^1];
        Assert.Equal("100.0%", done.At("status.progress"));
        Assert.Equal("disk", done.At("status.claimName"));
        Assert.Equal("True:Bound:PVC disk Bound", done.Condition("Bound"));
        Assert.StartsWith("True:", done.Condition("Ready"));
    }

    /// <summary>CDI controller-base.go updateStatusPVCPending / shouldBeMarkedPendingPopulation: WaitForFirstConsumer storage without a consumer or the immediate-binding annotation.</summary>
    [Fact]
    public async Task An_import_onto_wait_for_first_consumer_storage_without_immediate_binding_is_PendingPopulation()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns));

        var waiting = await h.WaitForAsync(T.DataVolume, Ns, "disk", dv => dv.Phase() == "PendingPopulation", "PendingPopulation");

        Assert.Equal("Pending", (await h.ReadAsync(T.PersistentVolumeClaim, Ns, "disk")).Phase());
        Assert.StartsWith("False:", waiting.Condition("Ready"));
    }

    /// <summary>CDI snapshot-clone-controller.go detectCloneSize: a spec.storage clone without a size requests the snapshot's restoreSize as it is.</summary>
    [Fact]
    public async Task A_snapshot_clone_without_a_size_requests_the_restore_size_of_the_snapshot()
    {
        await using var h = await StartAsync();
        await ReadySnapshotAsync(h, "snap", size: "1500Mi");

        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", Ns, Ns, "snap", size: null));
        await h.WaitForAsync(T.DataVolume, Ns, "copy", dv => dv.Phase() == "Succeeded", "Succeeded");

        var claim = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "copy");
        Assert.Equal("2Gi", claim.At("spec.resources.requests.storage"));
        Assert.Equal("Bound", claim.Phase());
    }

    /// <summary>CDI snapshot-clone-controller.go syncSnapshotClone and clone-controller-base.go populatorPhaseMap: CloneScheduled, CloneFromSnapshotSourceInProgress, Succeeded.</summary>
    [Fact]
    public async Task A_snapshot_clone_goes_through_CloneScheduled_and_CloneFromSnapshotSourceInProgress_to_Succeeded()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("DataVolume", TimeSpan.FromMilliseconds(50)));
        await ReadySnapshotAsync(h, "snap", size: "1Gi");
        await using var recording = await h.RecordAsync(T.DataVolume, Ns, "copy");

        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", Ns, Ns, "snap", size: "2Gi"));
        var versions = await recording.UntilAsync(dv => dv.Phase() == "Succeeded");

        Assert.Equal(["CloneScheduled", "CloneFromSnapshotSourceInProgress", "Succeeded"], Phases(versions));
        var claim = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "copy");
        Assert.Equal("VolumeCloneSource", claim.At("spec.dataSourceRef.kind"));
        Assert.Equal("snapshot", claim.Annotation("cdi.kubevirt.io/cloneType"));
    }

    /// <summary>
    /// CDI snapshot-clone-controller.go validateSnapshotClone → common/util.go ValidateRequestedCloneSize (the request before the filesystem
    /// overhead): CloneValidationFailed on the Bound and Ready conditions, the phase left as it was, no claim.
    /// </summary>
    [Fact]
    public async Task A_snapshot_clone_requesting_less_than_the_restore_size_fails_validation_and_gets_no_claim()
    {
        await using var h = await StartAsync();
        await ReadySnapshotAsync(h, "snap", size: "1500Mi");

        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", Ns, Ns, "snap", size: "1Gi"));
        var refused = await h.WaitForAsync(T.DataVolume, Ns, "copy",
            dv => dv.Condition("Bound")?.Contains("CloneValidationFailed", StringComparison.Ordinal) == true, "CloneValidationFailed");

        const string message = "The clone doesn't meet the validation requirements: target resources requests storage size is smaller than the source 1073741824 < 2147483648";
        Assert.Equal($"False:CloneValidationFailed:{message}", refused.Condition("Bound"));
        Assert.Equal($"False:CloneValidationFailed:{message}", refused.Condition("Ready"));
        Assert.True(string.IsNullOrEmpty(refused.Phase()), $"phase {refused.Phase()}");
        Assert.Null(await h.GetAsync(T.PersistentVolumeClaim, Ns, "copy"));
        var recorded = await h.WaitForEventAsync(Ns, "copy", "CloneValidationFailed", message);
        Assert.Equal("Normal", recorded.At("type"));
    }

    /// <summary>CDI snapshot-clone-controller.go validateCloneAndSourceSnapshot: a missing snapshot is CloneWithoutSource, phase unchanged, no claim.</summary>
    [Fact]
    public async Task A_snapshot_clone_of_a_missing_snapshot_waits_with_CloneWithoutSource()
    {
        await using var h = await StartAsync();

        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", Ns, Ns, "missing"));
        var waiting = await h.WaitForAsync(T.DataVolume, Ns, "copy", dv => dv.Condition("Bound") is not null, "a Bound condition");

        Assert.Equal("False:CloneWithoutSource:The source snapshot missing doesn't exist", waiting.Condition("Bound"));
        Assert.True(string.IsNullOrEmpty(waiting.Phase()), $"phase {waiting.Phase()}");
        Assert.Null(await h.GetAsync(T.PersistentVolumeClaim, Ns, "copy"));
    }

    /// <summary>CDI clone-controller-base.go watches VolumeSnapshots: a clone waiting for its source proceeds when the snapshot appears.</summary>
    [Fact]
    public async Task A_snapshot_clone_waiting_for_its_snapshot_proceeds_once_the_snapshot_exists()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", Ns, Ns, "snap", size: null));
        await h.WaitForAsync(T.DataVolume, Ns, "copy", dv => dv.Condition("Bound")?.Contains("CloneWithoutSource", StringComparison.Ordinal) == true, "CloneWithoutSource");

        await ReadySnapshotAsync(h, "snap", size: "1Gi");

        await h.WaitForAsync(T.DataVolume, Ns, "copy", dv => dv.Phase() == "Succeeded", "Succeeded");
    }

    /// <summary>
    /// CDI snapshot-clone-controller.go syncSnapshotClone (cross-namespace: crossNamespaceFinalizer, CloneScheduled) and
    /// controller-base.go shouldSetDataVolumePending; the finalizer goes once the clone is done.
    /// </summary>
    [Fact]
    public async Task A_snapshot_clone_from_another_namespace_holds_the_cross_namespace_finalizer_until_it_succeeds()
    {
        await using var h = await StartAsync();
        await ReadySnapshotAsync(h, "snap", size: "1Gi");
        await using var recording = await h.RecordAsync(T.DataVolume, OtherNs, "copy");

        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", OtherNs, Ns, "snap", size: null));
        var versions = await recording.UntilAsync(dv => dv.Phase() == "Succeeded" && !dv.Finalizers().Contains(CrossNamespaceFinalizer));

        Assert.Contains(versions, dv => dv.Finalizers().Contains(CrossNamespaceFinalizer));
        var claim = await h.ReadAsync(T.PersistentVolumeClaim, OtherNs, "copy");
        Assert.Equal(Ns, claim.Annotation("cdi.kubevirt.io/dataSourceNamespace"));
        Assert.Equal("Bound", claim.Phase());
    }

    /// <summary>CDI controller-base.go shouldBeMarkedPendingPopulation: a snapshot clone onto WaitForFirstConsumer storage without the immediate-binding annotation.</summary>
    [Fact]
    public async Task A_snapshot_clone_onto_wait_for_first_consumer_storage_without_immediate_binding_is_PendingPopulation()
    {
        await using var h = await StartAsync();
        await ReadySnapshotAsync(h, "snap", size: "1Gi");
        var dv = DataVolumeFromSnapshot("copy", Ns, Ns, "snap", size: null);
        dv["metadata"]!.AsObject().Remove("annotations");

        await h.CreateAsync(T.DataVolume, dv);
        await h.WaitForAsync(T.DataVolume, Ns, "copy", d => d.Phase() == "PendingPopulation", "PendingPopulation");

        var claim = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "copy");
        Assert.Equal("Pending", claim.Phase());
        Assert.Equal("VolumeCloneSource", claim.At("spec.dataSourceRef.kind"));
    }

    /// <summary>CDI controller-base.go updateStatus: a Lost claim makes the DataVolume Failed with ErrClaimLost (<c>--sim-fault fail=datavolumes</c> loses the volume).</summary>
    [Fact]
    public async Task With_fault_fail_datavolumes_the_claim_is_Lost_and_the_data_volume_Failed()
    {
        await using var h = await StartAsync();
        h.Options.Apply("fail=datavolumes");

        await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns, immediate: true));
        var failed = await h.WaitForAsync(T.DataVolume, Ns, "disk", dv => dv.Phase() == "Failed", "Failed");

        Assert.Equal("False:ClaimLost:Claim Lost", failed.Condition("Bound"));
        Assert.Equal("Lost", (await h.ReadAsync(T.PersistentVolumeClaim, Ns, "disk")).Phase());
        var lost = await h.WaitForEventAsync(Ns, "disk", "ErrClaimLost");
        Assert.Equal(("Warning", "PVC disk lost"), (lost.At("type"), lost.At("note")));
    }

    /// <summary>CDI controller-base.go (AnnPrePopulated): the claim of that name is adopted and the DataVolume is Succeeded without populating.</summary>
    [Fact]
    public async Task A_pre_populated_data_volume_adopts_its_claim_and_succeeds()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, storageClass: NoSnapshotClass));
        var dv = BlankDataVolume("disk", Ns);
        dv["metadata"]!["annotations"] = new JsonObject { ["cdi.kubevirt.io/storage.prePopulated"] = "true" };

        var created = await h.CreateAsync(T.DataVolume, dv);
        await h.WaitForAsync(T.DataVolume, Ns, "disk", d => d.Phase() == "Succeeded", "Succeeded");

        var claim = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "disk");
        var owner = Assert.Single(claim.Metadata.OwnerReferences);
        Assert.Equal(("DataVolume", created.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller == true));
        Assert.Equal("1Gi", claim.At("spec.resources.requests.storage"));
    }

    /// <summary>A ready VolumeSnapshot of a bound claim of <paramref name="size"/> in <see cref="KubeVirtHarness.Ns"/> (restoreSize: the size rounded up to GiB).</summary>
    private static async Task ReadySnapshotAsync(KubeVirtHarness h, string name, string size)
    {
        await h.CreateAsync(T.PersistentVolumeClaim, Claim($"{name}-source", Ns, size).OnNode());
        await h.WaitForAsync(T.PersistentVolumeClaim, Ns, $"{name}-source", c => c.Phase() == "Bound", "Bound");
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot(name, Ns, $"{name}-source", SnapshotClass));
        await h.WaitForAsync(T.VolumeSnapshot, Ns, name, s => s.ReadyToUse(), "readyToUse");
    }

    /// <summary>The phases a recording went through, each once, in order (versions without a phase left out).</summary>
    private static List<string> Phases(IEnumerable<GenericObject> versions)
    {
        var phases = new List<string>();
        foreach (var phase in versions.Select(v => v.Phase()).OfType<string>().Where(p => p.Length > 0))
        {
            if (phases.Count == 0 || phases[^1] != phase)
            {
                phases.Add(phase);
            }
        }

        return phases;
    }
}
