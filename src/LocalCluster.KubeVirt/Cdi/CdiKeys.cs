namespace Vers.LocalCluster.KubeVirt.Cdi;

/// <summary>CDI's annotation, label and finalizer keys and its message formats (pkg/controller/common/util.go, clone-controller-base.go, import-controller.go at v1.66.0).</summary>
internal static class CdiKeys
{
    public const string ImmediateBinding = "cdi.kubevirt.io/storage.bind.immediate.requested";
    public const string CloneToken = "cdi.kubevirt.io/storage.clone.token";
    public const string ContentType = "cdi.kubevirt.io/storage.contentType";
    public const string CreatedForDataVolume = "cdi.kubevirt.io/createdForDataVolume";
    public const string DataSourceNamespace = "cdi.kubevirt.io/dataSourceNamespace";
    public const string CloneType = "cdi.kubevirt.io/cloneType";
    public const string ClonePhase = "cdi.kubevirt.io/clonePhase";
    public const string PodRestarts = "cdi.kubevirt.io/storage.pod.restarts";
    public const string PrePopulated = "cdi.kubevirt.io/storage.prePopulated";
    public const string PopulatedFor = "cdi.kubevirt.io/storage.populatedFor";
    public const string CrossNamespaceFinalizer = "cdi.kubevirt.io/dataVolumeFinalizer";
    public const string AppLabel = "app";
    public const string AppLabelValue = "containerized-data-importer";

    /// <summary>CDIConfig's default global filesystem overhead (pkg/common/common.go: "0.06").</summary>
    public const double FilesystemOverhead = 0.06;

    /// <summary>pkg/util/util.go DefaultAlignBlockSize.</summary>
    public const long AlignBlockSize = 1024 * 1024;

    public const string MessageCloneScheduled = "Cloning from {0}/{1} into {2}/{3} scheduled";
    public const string MessageCloneSucceeded = "Successfully cloned from {0}/{1} into {2}/{3}";
    public const string MessageCloneFromSnapshotSourceInProgress = "Creating PVC from snapshot source is in progress (for {0} {1}/{2})";
    public const string MessageCloneValidationFailed = "The clone doesn't meet the validation requirements: {0}";
    public const string MessageCloneWithoutSource = "The source {0} {1} doesn't exist";
    public const string MessageImportScheduled = "Import into {0} scheduled";
    public const string MessageImportInProgress = "Import into {0} in progress";
    public const string MessageImportSucceeded = "Successfully imported into PVC {0}";

    /// <summary>
    /// pkg/util/util.go <c>GetRequiredSpace</c>, as <c>InflateSizeWithOverhead</c> applies it to Filesystem claims of
    /// <c>spec.storage</c> DataVolumes: aligned to 1 MiB, then grown by the filesystem overhead.
    /// </summary>
    public static long Inflate(long requested)
    {
        var aligned = (requested + AlignBlockSize - 1) / AlignBlockSize * AlignBlockSize;
        return (long)Math.Ceiling(aligned * (1 + FilesystemOverhead));
    }
}
