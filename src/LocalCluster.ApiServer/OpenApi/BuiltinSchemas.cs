using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI schemas of the built-in kinds, as far as the server models them (the fields it defaults, validates or
/// prints), with kube-openapi's descriptions; and the meta.k8s.io definitions the operations refer to.
/// </summary>
internal static class BuiltinSchemas
{
    private static JsonObject Str(string description) => new() { ["type"] = "string", ["description"] = description };

    private static JsonObject StringMap(string description) => new()
    {
        ["type"] = "object",
        ["description"] = description,
        ["additionalProperties"] = new JsonObject { ["type"] = "string", ["default"] = "" },
    };

    /// <summary>The fields of a built-in kind the server models; a kind with none modelled has an empty schema.</summary>
    public static JsonObject For(ResourceType t)
    {
        var props = t.Builtin switch
        {
            BuiltinKind.Namespace => new JsonObject
            {
                ["spec"] = new JsonObject { ["type"] = "object", ["description"] = "Spec defines the behavior of the Namespace.", ["properties"] = new JsonObject { ["finalizers"] = new JsonObject { ["type"] = "array", ["description"] = "Finalizers is an opaque list of values that must be empty to permanently remove object from storage.", ["items"] = new JsonObject { ["type"] = "string" } } } },
                ["status"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "Status describes the current status of a Namespace.",
                    ["properties"] = new JsonObject
                    {
                        ["phase"] = Str("Phase is the current lifecycle phase of the namespace."),
                        ["conditions"] = new JsonObject { ["type"] = "array", ["description"] = "Represents the latest available observations of a namespace's current state.", ["items"] = new JsonObject { ["type"] = "object" } },
                    },
                },
            },
            BuiltinKind.ConfigMap => new JsonObject
            {
                ["data"] = StringMap("Data contains the configuration data."),
                ["binaryData"] = new JsonObject { ["type"] = "object", ["description"] = "BinaryData contains the binary data.", ["additionalProperties"] = new JsonObject { ["type"] = "string", ["format"] = "byte" } },
                ["immutable"] = new JsonObject { ["type"] = "boolean", ["description"] = "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated." },
            },
            BuiltinKind.Secret => new JsonObject
            {
                ["data"] = new JsonObject { ["type"] = "object", ["description"] = "Data contains the secret data.", ["additionalProperties"] = new JsonObject { ["type"] = "string", ["format"] = "byte" } },
                ["stringData"] = StringMap("stringData allows specifying non-binary secret data in string form."),
                ["type"] = Str("Used to facilitate programmatic handling of secret data."),
                ["immutable"] = new JsonObject { ["type"] = "boolean", ["description"] = "Immutable, if set to true, ensures that data stored in the Secret cannot be updated." },
            },
            BuiltinKind.Lease => new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "spec contains the specification of the Lease.",
                    ["properties"] = new JsonObject
                    {
                        ["holderIdentity"] = Str("holderIdentity contains the identity of the holder of a current lease."),
                        ["leaseDurationSeconds"] = new JsonObject { ["type"] = "integer", ["format"] = "int32", ["description"] = "leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it." },
                        ["acquireTime"] = new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "acquireTime is a time when the current lease was acquired." },
                        ["renewTime"] = new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "renewTime is a time when the current holder of a lease has last updated the lease." },
                        ["leaseTransitions"] = new JsonObject { ["type"] = "integer", ["format"] = "int32", ["description"] = "leaseTransitions is the number of transitions of a lease between holders." },
                    },
                },
            },
            BuiltinKind.PersistentVolumeClaim => new JsonObject
            {
                ["spec"] = Obj("spec defines the desired characteristics of a volume requested by a pod author.", new JsonObject
                {
                    ["accessModes"] = StrList("accessModes contains the desired access modes the volume should have."),
                    ["resources"] = Obj("resources represents the minimum resources the volume should have.", new JsonObject
                    {
                        ["requests"] = QuantityMap("Requests describes the minimum amount of compute resources required."),
                        ["limits"] = QuantityMap("Limits describes the maximum amount of compute resources allowed."),
                    }),
                    ["storageClassName"] = Str("storageClassName is the name of the StorageClass required by the claim."),
                    ["volumeMode"] = Str("volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec."),
                    ["volumeName"] = Str("volumeName is the binding reference to the PersistentVolume backing this claim."),
                    ["volumeAttributesClassName"] = Str("volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
                    ["selector"] = Obj("selector is a label query over volumes to consider for binding.", new JsonObject()),
                    ["dataSource"] = Obj("dataSource field can be used to specify either an existing VolumeSnapshot object or an existing PVC.", TypedReference()),
                    ["dataSourceRef"] = Obj("dataSourceRef specifies the object from which to populate the volume with data, if a non-empty volume is desired.", TypedReference()),
                }),
                ["status"] = Obj("status represents the current information/status of a persistent volume claim. Read-only.", new JsonObject
                {
                    ["phase"] = Str("phase represents the current phase of PersistentVolumeClaim."),
                    ["accessModes"] = StrList("accessModes contains the actual access modes the volume backing the PVC has."),
                    ["capacity"] = QuantityMap("capacity represents the actual resources of the underlying volume."),
                    ["conditions"] = new JsonObject { ["type"] = "array", ["description"] = "conditions is the current Condition of persistent volume claim.", ["items"] = new JsonObject { ["type"] = "object" } },
                }),
            },
            BuiltinKind.PersistentVolume => new JsonObject
            {
                ["spec"] = Obj("spec defines a specification of a persistent volume owned by the cluster.", new JsonObject
                {
                    ["accessModes"] = StrList("accessModes contains all ways the volume can be mounted."),
                    ["capacity"] = QuantityMap("capacity is the description of the persistent volume's resources and capacity."),
                    ["persistentVolumeReclaimPolicy"] = Str("persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated)."),
                    ["storageClassName"] = Str("storageClassName is the name of StorageClass to which this persistent volume belongs."),
                    ["volumeMode"] = Str("volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state."),
                    ["claimRef"] = Obj("claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", new JsonObject
                    {
                        ["apiVersion"] = Str("API version of the referent."),
                        ["kind"] = Str("Kind of the referent."),
                        ["namespace"] = Str("Namespace of the referent."),
                        ["name"] = Str("Name of the referent."),
                        ["uid"] = Str("UID of the referent."),
                        ["resourceVersion"] = Str("Specific resourceVersion to which this reference is made, if any."),
                    }),
                    ["csi"] = Obj("csi represents storage that is handled by an external CSI driver.", new JsonObject
                    {
                        ["driver"] = Str("driver is the name of the driver to use for this volume. Required."),
                        ["volumeHandle"] = Str("volumeHandle is the unique volume name returned by the CSI volume plugin's CreateVolume to refer to the volume on all subsequent calls. Required."),
                        ["fsType"] = Str("fsType to mount. Must be a filesystem type supported by the host operating system."),
                        ["readOnly"] = new JsonObject { ["type"] = "boolean", ["description"] = "readOnly value to pass to ControllerPublishVolumeRequest. Defaults to false (read/write)." },
                        ["volumeAttributes"] = StringMap("volumeAttributes of the volume to publish."),
                    }),
                    ["hostPath"] = Obj("hostPath represents a directory on the host.", new JsonObject { ["path"] = Str("path of the directory on the host."), ["type"] = Str("type for HostPath Volume.") }),
                    ["mountOptions"] = StrList("mountOptions is the list of mount options, e.g. [\"ro\", \"soft\"]. Not validated - mount will simply fail if one is invalid."),
                    ["nodeAffinity"] = Obj("nodeAffinity defines constraints that limit what nodes this volume can be accessed from.", new JsonObject()),
                }),
                ["status"] = Obj("status represents the current information/status for the persistent volume.", new JsonObject
                {
                    ["phase"] = Str("phase indicates if a volume is available, bound to a claim, or released by a claim."),
                    ["message"] = Str("message is a human-readable message indicating details about why the volume is in this state."),
                    ["reason"] = Str("reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
                    ["lastPhaseTransitionTime"] = new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "lastPhaseTransitionTime is the time the phase transitioned from one to another and automatically resets to current time everytime a volume phase transitions." },
                }),
            },
            BuiltinKind.StorageClass => new JsonObject
            {
                ["provisioner"] = Str("provisioner indicates the type of the provisioner."),
                ["parameters"] = StringMap("parameters holds the parameters for the provisioner that should create volumes of this storage class."),
                ["reclaimPolicy"] = Str("reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
                ["volumeBindingMode"] = Str("volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used."),
                ["allowVolumeExpansion"] = new JsonObject { ["type"] = "boolean", ["description"] = "allowVolumeExpansion shows whether the storage class allow volume expand." },
                ["mountOptions"] = StrList("mountOptions controls the mountOptions for dynamically provisioned PersistentVolumes of this storage class."),
                ["allowedTopologies"] = new JsonObject { ["type"] = "array", ["description"] = "allowedTopologies restrict the node topologies where volumes can be dynamically provisioned.", ["items"] = new JsonObject { ["type"] = "object" } },
            },
            _ => new JsonObject(),
        };
        var schema = new JsonObject { ["type"] = "object", ["description"] = $"{t.Kind} object.", ["properties"] = props };
        if (t.Builtin == BuiltinKind.StorageClass)
        {
            schema["required"] = new JsonArray("provisioner");
        }

        return schema;
    }

    private static JsonObject Obj(string description, JsonObject properties) => new()
    {
        ["type"] = "object",
        ["description"] = description,
        ["properties"] = properties,
    };

    private static JsonObject StrList(string description) => new()
    {
        ["type"] = "array",
        ["description"] = description,
        ["items"] = new JsonObject { ["type"] = "string", ["default"] = "" },
        ["x-kubernetes-list-type"] = "atomic",
    };

    private static JsonObject QuantityMap(string description) => new()
    {
        ["type"] = "object",
        ["description"] = description,
        ["additionalProperties"] = new JsonObject { ["x-kubernetes-int-or-string"] = true, ["description"] = "Quantity is a fixed-point representation of a number." },
    };

    private static JsonObject TypedReference() => new()
    {
        ["apiGroup"] = Str("APIGroup is the group for the resource being referenced."),
        ["kind"] = Str("Kind is the type of resource being referenced"),
        ["name"] = Str("Name is the name of resource being referenced"),
    };

    public static JsonObject ObjectMeta() => new()
    {
        ["description"] = "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["name"] = Str("Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically."),
            ["selfLink"] = Str("Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."),
            ["generateName"] = Str("GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided."),
            ["namespace"] = Str("Namespace defines the space within which each name must be unique."),
            ["uid"] = Str("UID is the unique in time and space value for this object."),
            ["resourceVersion"] = Str("An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed."),
            ["generation"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["description"] = "A sequence number representing a specific generation of the desired state. Populated by the system. Read-only." },
            ["creationTimestamp"] = new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "CreationTimestamp is a timestamp representing the server time when this object was created." },
            ["deletionTimestamp"] = new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted." },
            ["deletionGracePeriodSeconds"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["description"] = "Number of seconds allowed for this object to gracefully terminate before it will be removed from the system." },
            ["labels"] = StringMap("Map of string keys and values that can be used to organize and categorize (scope and select) objects."),
            ["annotations"] = StringMap("Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata."),
            ["finalizers"] = new JsonObject { ["type"] = "array", ["description"] = "Must be empty before the object is deleted from the registry.", ["items"] = new JsonObject { ["type"] = "string", ["default"] = "" }, ["x-kubernetes-list-type"] = "set" },
            ["ownerReferences"] = new JsonObject
            {
                ["type"] = "array",
                ["description"] = "List of objects depended by this object.",
                ["items"] = new JsonObject
                {
                    ["type"] = "object",
                    ["required"] = new JsonArray("apiVersion", "kind", "name", "uid"),
                    ["properties"] = new JsonObject
                    {
                        ["apiVersion"] = Str("API version of the referent."),
                        ["kind"] = Str("Kind of the referent."),
                        ["name"] = Str("Name of the referent."),
                        ["uid"] = Str("UID of the referent."),
                        ["controller"] = new JsonObject { ["type"] = "boolean", ["description"] = "If true, this reference points to the managing controller." },
                        ["blockOwnerDeletion"] = new JsonObject { ["type"] = "boolean", ["description"] = "If true, AND if the owner has the \"foregroundDeletion\" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed." },
                    },
                },
                ["x-kubernetes-patch-merge-key"] = "uid",
                ["x-kubernetes-patch-strategy"] = "merge",
            },
            ["managedFields"] = new JsonObject { ["type"] = "array", ["description"] = "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.", ["items"] = new JsonObject { ["type"] = "object" } },
        },
    };

    public const string MetaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1.";

    /// <summary>The meta.k8s.io/v1 definitions every group version's operations refer to, ObjectMeta included.</summary>
    public static Dictionary<string, JsonObject> MetaDefinitions() => new()
    {
        [MetaPrefix + "ObjectMeta"] = ObjectMeta(),
        [MetaPrefix + "ListMeta"] = new JsonObject
        {
            ["description"] = "ListMeta describes metadata that synthetic resources must have, including lists and various status objects.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["continue"] = Str("continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available."),
                ["remainingItemCount"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["description"] = "remainingItemCount is the number of subsequent items in the list which are not included in this list response." },
                ["resourceVersion"] = Str("String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed."),
                ["selfLink"] = Str("Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."),
            },
        },
        [MetaPrefix + "Status"] = new JsonObject
        {
            ["description"] = "Status is a return value for calls that don't return other objects.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
                ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
                ["code"] = new JsonObject { ["type"] = "integer", ["format"] = "int32", ["description"] = "Suggested HTTP return code for this status, 0 if not set." },
                ["details"] = new JsonObject { ["type"] = "object", ["description"] = "Extended data associated with the reason." },
                ["message"] = Str("A human-readable description of the status of this operation."),
                ["metadata"] = new JsonObject { ["$ref"] = "#/components/schemas/" + MetaPrefix + "ListMeta", ["description"] = "Standard list metadata." },
                ["reason"] = Str("A machine-readable description of why this operation is in the \"Failure\" status."),
                ["status"] = Str("Status of the operation. One of: \"Success\" or \"Failure\"."),
            },
            ["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = "", ["kind"] = "Status", ["version"] = "v1" }),
        },
        [MetaPrefix + "DeleteOptions"] = new JsonObject
        {
            ["description"] = "DeleteOptions may be provided when deleting an API object.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
                ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
                ["dryRun"] = new JsonObject { ["type"] = "array", ["description"] = "When present, indicates that modifications should not be persisted.", ["items"] = new JsonObject { ["type"] = "string", ["default"] = "" }, ["x-kubernetes-list-type"] = "atomic" },
                ["gracePeriodSeconds"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["description"] = "The duration in seconds before the object should be deleted." },
                ["orphanDependents"] = new JsonObject { ["type"] = "boolean", ["description"] = "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7." },
                ["preconditions"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "Must be fulfilled before a deletion is carried out.",
                    ["properties"] = new JsonObject { ["resourceVersion"] = Str("Specifies the target ResourceVersion"), ["uid"] = Str("Specifies the target UID.") },
                },
                ["propagationPolicy"] = Str("Whether and how garbage collection will be performed."),
            },
        },
        [MetaPrefix + "Patch"] = new JsonObject
        {
            ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            ["type"] = "object",
        },
    };
}
