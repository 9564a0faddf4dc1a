using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Kube.Client;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// CustomResourceDefinitions for the KubeVirt v1.9 / CDI v1.66 kinds the operator drives, generated from the
/// upstream OpenAPI definitions, plus a hand-written CSI <c>VolumeSnapshot</c> CRD. Names, short names,
/// categories and printer columns follow the real CRDs (virt-operator <c>crds.go</c>, CDI kubebuilder markers,
/// external-snapshotter manifests). Each call builds fresh objects, so callers may mutate them.
/// </summary>
public static class KubeVirtCrds
{
    private static V1CustomResourceColumnDefinition AgeColumn => Col("Age", "date", ".metadata.creationTimestamp");

    private static V1CustomResourceColumnDefinition Col(string name, string type, string jsonPath, string? description = null) =>
        new() { Name = name, Type = type, JsonPath = jsonPath, Description = description };

    public static V1CustomResourceDefinition VirtualMachine() => FromDefinition(
        "v1.VirtualMachine", ["vm", "vms"],
        AgeColumn,
        Col("Status", "string", ".status.printableStatus", "Human Readable Status"),
        Col("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status"));

    public static V1CustomResourceDefinition VirtualMachineSnapshot() => FromDefinition(
        "v1beta1.VirtualMachineSnapshot", ["vmsnapshot", "vmsnapshots"],
        Col("SourceKind", "string", ".spec.source.kind"),
        Col("SourceName", "string", ".spec.source.name"),
        Col("Phase", "string", ".status.phase"),
        Col("ReadyToUse", "boolean", ".status.readyToUse"),
        Col("CreationTime", "date", ".status.creationTime"),
        Col("Error", "string", ".status.error.message"));

    public static V1CustomResourceDefinition VirtualMachineSnapshotContent() => FromDefinition(
        "v1beta1.VirtualMachineSnapshotContent", ["vmsnapshotcontent", "vmsnapshotcontents"],
        Col("ReadyToUse", "boolean", ".status.readyToUse"),
        Col("CreationTime", "date", ".status.creationTime"),
        Col("Error", "string", ".status.error.message"));

    public static V1CustomResourceDefinition VirtualMachineRestore() => FromDefinition(
        "v1beta1.VirtualMachineRestore", ["vmrestore", "vmrestores"],
        Col("TargetKind", "string", ".spec.target.kind"),
        Col("TargetName", "string", ".spec.target.name"),
        Col("Complete", "boolean", ".status.complete"),
        Col("RestoreTime", "date", ".status.restoreTime"));

    public static V1CustomResourceDefinition VirtualMachineClone() => FromDefinition(
        "v1beta1.VirtualMachineClone", ["vmclone", "vmclones"],
        Col("Phase", "string", ".status.phase"),
        Col("SourceVirtualMachine", "string", ".spec.source.name"),
        Col("TargetVirtualMachine", "string", ".spec.target.name"));

    public static V1CustomResourceDefinition VirtualMachineExport() => FromDefinition(
        "v1.VirtualMachineExport", ["vmexport", "vmexports"],
        Col("SourceKind", "string", ".spec.source.kind"),
        Col("SourceName", "string", ".spec.source.name"),
        Col("Phase", "string", ".status.phase"));

    public static V1CustomResourceDefinition DataVolume() => FromDefinition(
        "cdi.v1beta1.DataVolume", ["dv", "dvs"],
        Col("Phase", "string", ".status.phase", "The phase the data volume is in"),
        Col("Progress", "string", ".status.progress", "Transfer progress in percentage if known, N/A otherwise"),
        Col("Restarts", "integer", ".status.restartCount", "The number of times the transfer has been restarted."),
        AgeColumn);

    /// <summary>CSI external-snapshotter <c>snapshot.storage.k8s.io/v1</c> VolumeSnapshot (the subset KubeVirt and CDI use).</summary>
    public static V1CustomResourceDefinition VolumeSnapshot()
    {
        var schema = TopLevel(["spec"], new()
        {
            ["spec"] = new()
            {
                Type = "object",
                Required = ["source"],
                Properties = new Dictionary<string, V1JSONSchemaProps>
                {
                    ["source"] = new()
                    {
                        Type = "object",
                        Properties = new Dictionary<string, V1JSONSchemaProps>
                        {
                            // client/config/crd/snapshot.storage.k8s.io_volumesnapshots.yaml: both are immutable (CEL self == oldSelf).
                            ["persistentVolumeClaimName"] = Immutable("persistentVolumeClaimName"),
                            ["volumeSnapshotContentName"] = Immutable("volumeSnapshotContentName"),
                        },
                    },
                    ["volumeSnapshotClassName"] = Str(),
                },
            },
            ["status"] = new()
            {
                Type = "object",
                Properties = new Dictionary<string, V1JSONSchemaProps>
                {
                    ["boundVolumeSnapshotContentName"] = Str(),
                    ["creationTime"] = Time(),
                    ["readyToUse"] = new() { Type = "boolean" },
                    ["restoreSize"] = SwaggerToCrdSchema.IntOrString(),
                    ["error"] = SnapshotError(),
                },
            },
        });
        return Snapshotter("VolumeSnapshot", "volumesnapshots", ["vs"], schema,
        [
            Col("ReadyToUse", "boolean", ".status.readyToUse"),
            Col("SourcePVC", "string", ".spec.source.persistentVolumeClaimName"),
            Col("SourceSnapshotContent", "string", ".spec.source.volumeSnapshotContentName"),
            Col("RestoreSize", "string", ".status.restoreSize"),
            Col("SnapshotClass", "string", ".spec.volumeSnapshotClassName"),
            Col("SnapshotContent", "string", ".status.boundVolumeSnapshotContentName"),
            Col("CreationTime", "date", ".status.creationTime"),
            AgeColumn,
        ]);
    }

    /// <summary>
    /// CSI external-snapshotter <c>snapshot.storage.k8s.io/v1</c> VolumeSnapshotContent (cluster-scoped; the subset the
    /// snapshotter writes), hand-written after client/config/crd/snapshot.storage.k8s.io_volumesnapshotcontents.yaml.
    /// </summary>
    public static V1CustomResourceDefinition VolumeSnapshotContent()
    {
        var schema = TopLevel(["spec"], new()
        {
            ["spec"] = new()
            {
                Type = "object",
                Required = ["deletionPolicy", "driver", "source", "volumeSnapshotRef"],
                Properties = new Dictionary<string, V1JSONSchemaProps>
                {
                    ["deletionPolicy"] = DeletionPolicy(),
                    ["driver"] = Str(),
                    ["sourceVolumeMode"] = Immutable("sourceVolumeMode"),
                    ["volumeSnapshotClassName"] = Str(),
                    ["source"] = new()
                    {
                        Type = "object",
                        Properties = new Dictionary<string, V1JSONSchemaProps>
                        {
                            ["snapshotHandle"] = Immutable("snapshotHandle"),
                            ["volumeHandle"] = Immutable("volumeHandle"),
                        },
                    },
                    ["volumeSnapshotRef"] = new()
                    {
                        Type = "object",
                        Properties = new Dictionary<string, V1JSONSchemaProps>
                        {
                            ["apiVersion"] = Str(), ["kind"] = Str(), ["name"] = Str(), ["namespace"] = Str(),
                            ["resourceVersion"] = Str(), ["uid"] = Str(), ["fieldPath"] = Str(),
                        },
                    },
                },
            },
            ["status"] = new()
            {
                Type = "object",
                Properties = new Dictionary<string, V1JSONSchemaProps>
                {
                    ["creationTime"] = new() { Type = "integer", Format = "int64" },
                    ["readyToUse"] = new() { Type = "boolean" },
                    ["restoreSize"] = new() { Type = "integer", Format = "int64", Minimum = 0 },
                    ["snapshotHandle"] = Str(),
                    ["error"] = SnapshotError(),
                },
            },
        });
        return Snapshotter("VolumeSnapshotContent", "volumesnapshotcontents", ["vsc", "vscs"], schema,
        [
            Col("ReadyToUse", "boolean", ".status.readyToUse"),
            Col("RestoreSize", "integer", ".status.restoreSize"),
            Col("DeletionPolicy", "string", ".spec.deletionPolicy"),
            Col("Driver", "string", ".spec.driver"),
            Col("VolumeSnapshotClass", "string", ".spec.volumeSnapshotClassName"),
            Col("VolumeSnapshot", "string", ".spec.volumeSnapshotRef.name"),
            Col("VolumeSnapshotNamespace", "string", ".spec.volumeSnapshotRef.namespace"),
            AgeColumn,
        ], scope: "Cluster");
    }

    /// <summary>CSI external-snapshotter <c>snapshot.storage.k8s.io/v1</c> VolumeSnapshotClass (cluster-scoped, no status).</summary>
    public static V1CustomResourceDefinition VolumeSnapshotClass()
    {
        var schema = TopLevel(["deletionPolicy", "driver"], new()
        {
            ["deletionPolicy"] = DeletionPolicy(),
            ["driver"] = Str(),
            ["parameters"] = new() { Type = "object", AdditionalProperties = new V1JSONSchemaProps { Type = "string" } },
        });
        return Snapshotter("VolumeSnapshotClass", "volumesnapshotclasses", ["vsclass", "vsclasses"], schema,
        [
            Col("Driver", "string", ".driver"),
            Col("DeletionPolicy", "string", ".deletionPolicy"),
            AgeColumn,
        ], scope: "Cluster", status: false);
    }

    // Building blocks of the hand-written snapshot.storage.k8s.io schemas.
    private static V1JSONSchemaProps Str() => new() { Type = "string" };

    private static V1JSONSchemaProps Time() => new() { Type = "string", Format = "date-time" };

    private static V1JSONSchemaProps DeletionPolicy() => new() { Type = "string", EnumProperty = ["Delete", "Retain"] };

    private static V1JSONSchemaProps Immutable(string field) => new()
    {
        Type = "string",
        XKubernetesValidations = [new V1ValidationRule { Rule = "self == oldSelf", Message = $"{field} is immutable" }],
    };

    private static V1JSONSchemaProps SnapshotError() => new()
    {
        Type = "object",
        Properties = new Dictionary<string, V1JSONSchemaProps> { ["message"] = Str(), ["time"] = Time() },
    };

    /// <summary>An object's schema: apiVersion, kind and metadata, and the kind's own top-level fields.</summary>
    private static V1JSONSchemaProps TopLevel(IList<string> required, Dictionary<string, V1JSONSchemaProps> fields)
    {
        var properties = new Dictionary<string, V1JSONSchemaProps>
        {
            ["apiVersion"] = Str(),
            ["kind"] = Str(),
            ["metadata"] = new() { Type = "object" },
        };
        foreach (var (name, field) in fields)
        {
            properties[name] = field;
        }

        return new V1JSONSchemaProps { Type = "object", Required = required, Properties = properties };
    }

    public static IReadOnlyList<V1CustomResourceDefinition> All =>
    [
        VirtualMachine(), VirtualMachineSnapshot(), VirtualMachineSnapshotContent(), VirtualMachineRestore(),
        VirtualMachineClone(), VirtualMachineExport(), DataVolume(), VolumeSnapshot(), VolumeSnapshotContent(), VolumeSnapshotClass(),
        Admission.SimulatedKubeVirt.Crd(),
    ];

    /// <summary>Creates (or updates) every CRD and returns once all report <c>Established=True</c>.</summary>
    public static Task InstallAsync(IKubernetes client, CancellationToken ct) =>
        new CrdInstaller(client, NullLogger.Instance).InstallAsync(All, TimeSpan.FromSeconds(60), ct);

    private static V1CustomResourceDefinition FromDefinition(string definition, IList<string> shortNames, params V1CustomResourceColumnDefinition[] columns)
    {
        var kind = KubeVirtDefinitions.Kinds.Single(k => k.DefinitionName == definition);
        var schema = SwaggerToCrdSchema.ConvertRoot(KubeVirtDefinitions.Definitions, definition);
        return Build(kind.Group, kind.Version, kind.Kind, kind.Plural, shortNames, ["all"], schema, columns);
    }

    /// <summary>A snapshot.storage.k8s.io/v1 kind (no categories, as the external-snapshotter's CRDs).</summary>
    private static V1CustomResourceDefinition Snapshotter(
        string kind, string plural, IList<string> shortNames, V1JSONSchemaProps schema, IList<V1CustomResourceColumnDefinition> columns,
        string scope = "Namespaced", bool status = true) =>
        Build("snapshot.storage.k8s.io", "v1", kind, plural, shortNames, categories: null, schema, columns, scope, status);

    private static V1CustomResourceDefinition Build(
        string group, string version, string kind, string plural, IList<string> shortNames,
        IList<string>? categories, V1JSONSchemaProps schema, IList<V1CustomResourceColumnDefinition> columns, string scope = "Namespaced", bool status = true) => new()
        {
            ApiVersion = "apiextensions.k8s.io/v1",
            Kind = "CustomResourceDefinition",
            Metadata = new V1ObjectMeta { Name = $"{plural}.{group}" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = group,
                Scope = scope,
                Names = new V1CustomResourceDefinitionNames
                {
                    Kind = kind,
                    ListKind = kind + "List",
                    Plural = plural,
                    Singular = kind.ToLowerInvariant(),
                    ShortNames = shortNames,
                    Categories = categories,
                },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = version,
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = schema },
                        Subresources = status ? new V1CustomResourceSubresources { Status = new object() } : null,
                        AdditionalPrinterColumns = columns,
                    },
                ],
            },
        };
}
