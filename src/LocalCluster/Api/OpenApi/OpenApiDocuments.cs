using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Resources;

namespace Vers.LocalCluster.Api.OpenApi;

/// <summary>
/// OpenAPI v3 index and per-group-version documents. kubectl needs: a <c>patch</c> operation per kind tagged with
/// <c>x-kubernetes-group-version-kind</c> and a <c>fieldValidation</c> parameter (else it falls back to openapi v2),
/// and component schemas tagged with the GVK for <c>explain</c>.
/// </summary>
internal sealed class OpenApiDocuments(ResourceRegistry registry, string serverVersion)
{
    public const string ObjectMetaRef = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    private IEnumerable<(string Group, string Version)> GroupVersions() =>
        registry.All.SelectMany(t => t.Versions.Where(v => v.Served).Select(v => (t.Group, v.Name))).Distinct();

    public static string PathKey(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    public JsonObject Index()
    {
        var paths = new JsonObject();
        foreach (var (g, v) in GroupVersions())
        {
            var doc = Document(g, v);
            paths[PathKey(g, v)] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{PathKey(g, v)}?hash={Hash(doc)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static string Hash(JsonObject doc) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(doc.ToJsonString())));

    /// <summary>The document for "api/v1" or "apis/g/v"; null when that group version is not served.</summary>
    public JsonObject? Document(string pathKey)
    {
        foreach (var (g, v) in GroupVersions())
        {
            if (PathKey(g, v) == pathKey)
            {
                return Document(g, v);
            }
        }

        return null;
    }

    private JsonObject Document(string group, string version)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject { [ObjectMetaRef] = ObjectMetaSchema() };
        foreach (var t in registry.All.Where(t => t.Group == group && t.Version(version) is not null))
        {
            var gvk = new JsonObject { ["group"] = group, ["kind"] = t.Kind, ["version"] = version };
            var schemaName = SchemaName(t, version);
            schemas[schemaName] = KindSchema(t, version, gvk);
            schemas[schemaName + "List"] = ListSchema(t, schemaName, version);
            var prefix = "/" + PathKey(group, version) + (t.Namespaced ? "/namespaces/{namespace}/" : "/") + t.Plural;
            if (t.IsReview)
            {
                paths[prefix] = new JsonObject { ["post"] = Operation($"create{t.Kind}", "post", gvk, t.Namespaced, false, schemaName) };
                continue;
            }

            paths[prefix] = new JsonObject
            {
                ["get"] = Operation($"list{t.Kind}", "list", gvk, t.Namespaced, false, schemaName + "List"),
                ["post"] = Operation($"create{t.Kind}", "post", gvk, t.Namespaced, false, schemaName),
            };
            paths[prefix + "/{name}"] = new JsonObject
            {
                ["get"] = Operation($"read{t.Kind}", "get", gvk, t.Namespaced, true, schemaName),
                ["put"] = Operation($"replace{t.Kind}", "put", gvk, t.Namespaced, true, schemaName),
                ["patch"] = Operation($"patch{t.Kind}", "patch", gvk, t.Namespaced, true, schemaName),
                ["delete"] = Operation($"delete{t.Kind}", "delete", gvk, t.Namespaced, true, schemaName),
            };
            if (t.Version(version)!.HasStatus)
            {
                paths[prefix + "/{name}/status"] = new JsonObject
                {
                    ["get"] = Operation($"read{t.Kind}Status", "get", gvk, t.Namespaced, true, schemaName),
                    ["put"] = Operation($"replace{t.Kind}Status", "put", gvk, t.Namespaced, true, schemaName),
                    ["patch"] = Operation($"patch{t.Kind}Status", "patch", gvk, t.Namespaced, true, schemaName),
                };
            }
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = serverVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static string SchemaName(ResourceType t, string version)
    {
        if (t.IsCustom)
        {
            var reversed = string.Join('.', t.Group.Split('.').Reverse());
            return $"{reversed}.{version}.{t.Kind}";
        }

        var pkg = t.Group switch
        {
            "" => "core",
            "coordination.k8s.io" => "coordination",
            "events.k8s.io" => "events",
            "authentication.k8s.io" => "authentication",
            "authorization.k8s.io" => "authorization",
            _ => t.Group.Split('.')[0],
        };
        return t.Builtin == BuiltinKind.CustomResourceDefinition
            ? $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}.{t.Kind}"
            : $"io.k8s.api.{pkg}.{version}.{t.Kind}";
    }

    private static JsonObject Operation(string id, string action, JsonObject gvk, bool namespaced, bool item, string schemaName)
    {
        var parameters = new JsonArray();
        if (item)
        {
            parameters.Add(Param("name", "path", $"name of the {gvk["kind"]}", required: true));
        }

        if (namespaced)
        {
            parameters.Add(Param("namespace", "path", "object name and auth scope, such as for teams and projects", required: true));
        }

        if (action is "post" or "put" or "patch")
        {
            parameters.Add(Param("dryRun", "query", "When present, indicates that modifications should not be persisted."));
            parameters.Add(Param("fieldManager", "query", "fieldManager is a name associated with the actor or entity that is making these changes."));
            parameters.Add(Param("fieldValidation", "query", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict"));
        }

        if (action == "patch")
        {
            parameters.Add(new JsonObject { ["name"] = "force", ["in"] = "query", ["description"] = "Force is going to \"force\" Apply requests.", ["schema"] = new JsonObject { ["type"] = "boolean", ["uniqueItems"] = true } });
        }

        var response = new JsonObject
        {
            ["description"] = "OK",
            ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" } } },
        };
        var op = new JsonObject
        {
            ["operationId"] = id,
            ["parameters"] = parameters,
            ["responses"] = new JsonObject { ["200"] = response },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        };
        if (action == "patch")
        {
            op["requestBody"] = new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["application/apply-patch+yaml"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                    ["application/json-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                    ["application/merge-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                },
                ["required"] = true,
            };
        }

        return op;
    }

    private static JsonObject Param(string name, string where, string description, bool required = false)
    {
        var p = new JsonObject { ["name"] = name, ["in"] = where, ["description"] = description, ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } };
        if (required)
        {
            p["required"] = true;
        }

        return p;
    }

    private static JsonObject KindSchema(ResourceType t, string version, JsonObject gvk)
    {
        var schema = t.Version(version)?.Schema?.DeepClone().AsObject() ?? BuiltinSchema(t);
        schema["type"] ??= "object";
        var props = schema["properties"] as JsonObject ?? new JsonObject();
        schema["properties"] = props;
        props["apiVersion"] = new JsonObject { ["description"] = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources", ["type"] = "string" };
        props["kind"] = new JsonObject { ["description"] = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds", ["type"] = "string" };
        props["metadata"] = new JsonObject
        {
            ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = $"#/components/schemas/{ObjectMetaRef}" }),
            ["default"] = new JsonObject(),
            ["description"] = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        };
        schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
        return schema;
    }

    private static JsonObject ListSchema(ResourceType t, string itemSchema, string version) => new()
    {
        ["description"] = $"{t.ListKind} is a list of {t.Kind}",
        ["type"] = "object",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string" },
            ["kind"] = new JsonObject { ["type"] = "string" },
            ["items"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = $"#/components/schemas/{itemSchema}" } },
            ["metadata"] = new JsonObject { ["type"] = "object" },
        },
        ["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = t.Group, ["kind"] = t.ListKind, ["version"] = version }),
    };

    private static JsonObject Str(string description) => new() { ["type"] = "string", ["description"] = description };

    private static JsonObject StringMap(string description) => new()
    {
        ["type"] = "object",
        ["description"] = description,
        ["additionalProperties"] = new JsonObject { ["type"] = "string", ["default"] = "" },
    };

    private static JsonObject BuiltinSchema(ResourceType t)
    {
        var props = t.Builtin switch
        {
            BuiltinKind.Namespace => new JsonObject
            {
                ["spec"] = new JsonObject { ["type"] = "object", ["description"] = "Spec defines the behavior of the Namespace.", ["properties"] = new JsonObject { ["finalizers"] = new JsonObject { ["type"] = "array", ["description"] = "Finalizers is an opaque list of values that must be empty to permanently remove object from storage.", ["items"] = new JsonObject { ["type"] = "string" } } } },
                ["status"] = new JsonObject { ["type"] = "object", ["description"] = "Status describes the current status of a Namespace.", ["properties"] = new JsonObject { ["phase"] = Str("Phase is the current lifecycle phase of the namespace.") } },
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

    private static JsonObject ObjectMetaSchema() => new()
    {
        ["description"] = "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["name"] = Str("Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically."),
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
}
