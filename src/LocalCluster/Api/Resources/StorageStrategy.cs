using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Schema;

namespace Vers.LocalCluster.Api.Resources;

/// <summary>
/// The registry strategies, decoding defaults, in-tree admission and validation of PersistentVolumeClaim,
/// PersistentVolume and StorageClass, as kube-apiserver v1.32 has them (feature gates at their 1.32 defaults:
/// RecoverVolumeExpansionFailure and AnyVolumeDataSource on, VolumeAttributesClass off). Only what the rules below
/// name is checked; selectors, node affinity and volume sources other than CSI are stored as given.
/// </summary>
internal static class StorageStrategy
{
    public const string PvcProtectionFinalizer = "kubernetes.io/pvc-protection";
    public const string PvProtectionFinalizer = "kubernetes.io/pv-protection";
    public const string DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";
    public const string BetaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class";
    public const string BetaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";

    private static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
    private static readonly string[] VolumeModes = ["Block", "Filesystem"];
    private static readonly string[] PvReclaimPolicies = ["Delete", "Recycle", "Retain"];
    private static readonly string[] ClassReclaimPolicies = ["Delete", "Retain"];
    private static readonly string[] BindingModes = ["Immediate", "WaitForFirstConsumer"];

    /// <summary>
    /// The PersistentVolumeSource members in the order ValidatePersistentVolumeSpec counts them, with the path its
    /// "may not specify more than 1 volume type" error names (cephfs reports <c>cephFS</c> upstream).
    /// </summary>
    private static readonly (string Field, string ErrorPath)[] VolumeSources =
    [
        ("hostPath", "hostPath"), ("gcePersistentDisk", "gcePersistentDisk"), ("awsElasticBlockStore", "awsElasticBlockStore"),
        ("glusterfs", "glusterfs"), ("flocker", "flocker"), ("nfs", "nfs"), ("rbd", "rbd"), ("quobyte", "quobyte"),
        ("cephfs", "cephFS"), ("iscsi", "iscsi"), ("cinder", "cinder"), ("fc", "fc"), ("flexVolume", ""),
        ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"), ("photonPersistentDisk", "photonPersistentDisk"),
        ("portworxVolume", "portworxVolume"), ("azureDisk", "azureDisk"), ("scaleIO", "scaleIO"), ("local", "local"),
        ("storageos", "storageos"), ("csi", "csi"),
    ];

    public static bool IsStorage(BuiltinKind kind) =>
        kind is BuiltinKind.PersistentVolumeClaim or BuiltinKind.PersistentVolume or BuiltinKind.StorageClass;

    /// <summary>
    /// What decoding a request body does: the <c>SetDefaults_*</c> functions of pkg/apis/core/v1/defaults.go
    /// (PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolume) and pkg/apis/storage/v1/defaults.go
    /// (StorageClass), and quantities parsed and re-encoded in canonical form (400 when one is not a quantity).
    /// </summary>
    public static void Default(ResourceType type, JsonObject obj)
    {
        switch (type.Builtin)
        {
            case BuiltinKind.PersistentVolumeClaim:
            {
                var spec = Child(obj, "spec");
                spec["volumeMode"] ??= "Filesystem";
                Child(obj, "status")["phase"] ??= "Pending";
                Canonicalize(type, spec["resources"]?["requests"], spec["resources"]?["limits"], obj["status"]?["capacity"], obj["status"]?["allocatedResources"]);
                break;
            }

            case BuiltinKind.PersistentVolume:
            {
                var spec = Child(obj, "spec");
                spec["persistentVolumeReclaimPolicy"] ??= "Retain";
                spec["volumeMode"] ??= "Filesystem";
                Child(obj, "status")["phase"] ??= "Pending";
                Canonicalize(type, spec["capacity"]);
                break;
            }

            case BuiltinKind.StorageClass:
                obj["reclaimPolicy"] ??= "Delete";
                obj["volumeBindingMode"] ??= "Immediate";
                break;
        }
    }

    private static void Canonicalize(ResourceType type, params JsonNode?[] maps)
    {
        if (!maps.All(Quantities.CanonicalizeMap))
        {
            throw ApiException.BadRequest($"{type.Kind} in version \"{type.StorageVersion}\" cannot be handled as a {type.Kind}: {Quantities.FormatError}");
        }
    }

    /// <summary>
    /// The in-tree mutating admission plugins that run on create, before any webhook:
    /// DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault/admission.go, <c>Admit</c>: a claim
    /// that asks for no class gets the default one, the newest if several are marked, as pkg/volume/util/storageclass.go
    /// <c>GetDefaultClass</c> picks it) and StorageObjectInUseProtection
    /// (plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go, <c>admitPVC</c>/<c>admitPV</c>).
    /// </summary>
    public static void AdmitCreate(BuiltinKind kind, JsonObject obj, Func<IEnumerable<JsonObject>> storageClasses)
    {
        switch (kind)
        {
            case BuiltinKind.PersistentVolumeClaim:
                // helper.PersistentVolumeClaimHasClass: the beta annotation or any spec.storageClassName, even "".
                if (Annotation(obj, BetaStorageClassAnnotation) is null && obj["spec"]?["storageClassName"] is null
                    && DefaultClass(storageClasses()) is { } name)
                {
                    Child(obj, "spec")["storageClassName"] = name;
                }

                AddFinalizer(obj, PvcProtectionFinalizer);
                break;
            case BuiltinKind.PersistentVolume:
                AddFinalizer(obj, PvProtectionFinalizer);
                break;
        }
    }

    /// <summary><c>GetDefaultClass</c>: among the classes marked default, the newest; equal timestamps by name.</summary>
    public static string? DefaultClass(IEnumerable<JsonObject> classes) =>
        classes.Where(IsDefaultClass)
            .OrderByDescending(c => DateTimeOffset.TryParse(Meta.Str(c, "creationTimestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue)
            .ThenBy(Meta.Name, StringComparer.Ordinal)
            .Select(Meta.Name)
            .FirstOrDefault();

    /// <summary><c>IsDefaultAnnotation</c> (the GA or the beta annotation set to exactly "true").</summary>
    public static bool IsDefaultClass(JsonObject storageClass) =>
        Annotation(storageClass, DefaultClassAnnotation) == "true" || Annotation(storageClass, BetaDefaultClassAnnotation) == "true";

    private static void AddFinalizer(JsonObject obj, string finalizer)
    {
        var finalizers = Meta.Finalizers(obj);
        if (!finalizers.Contains(finalizer))
        {
            Meta.SetFinalizers(obj, [.. finalizers, finalizer]);
        }
    }

    /// <summary>
    /// <c>PrepareForCreate</c> of pkg/registry/core/persistentvolumeclaim/strategy.go (status reset, disabled fields
    /// dropped, <c>NormalizeDataSources</c>; the phase reads as Pending through the decoding default) and of
    /// pkg/registry/core/persistentvolume/strategy.go (status reset to Pending with lastPhaseTransitionTime).
    /// </summary>
    public static void PrepareForCreate(BuiltinKind kind, JsonObject obj, string now)
    {
        switch (kind)
        {
            case BuiltinKind.PersistentVolumeClaim:
            {
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                var spec = Child(obj, "spec");
                spec.Remove("volumeAttributesClassName");
                NormalizeDataSources(spec);
                break;
            }

            case BuiltinKind.PersistentVolume:
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["lastPhaseTransitionTime"] = now };
                Child(obj, "spec").Remove("volumeAttributesClassName");
                break;
        }
    }

    /// <summary>pkg/api/persistentvolumeclaim/util.go <c>NormalizeDataSources</c>: dataSource and dataSourceRef mirror each other when only one is set.</summary>
    private static void NormalizeDataSources(JsonObject spec)
    {
        if (spec["dataSource"] is JsonObject source && spec["dataSourceRef"] is null)
        {
            spec["dataSourceRef"] = Reference(source);
        }
        else if (spec["dataSourceRef"] is JsonObject reference && spec["dataSource"] is null && string.IsNullOrEmpty(Str(reference["namespace"])))
        {
            spec["dataSource"] = Reference(reference);
        }

        static JsonObject Reference(JsonObject from)
        {
            var to = new JsonObject();
            if (from["apiGroup"] is { } group)
            {
                to["apiGroup"] = group.DeepClone();
            }

            to["kind"] = from["kind"]?.DeepClone();
            to["name"] = from["name"]?.DeepClone();
            return to;
        }
    }

    /// <summary>
    /// <c>PrepareForUpdate</c> beyond what the store does for every kind with a status subresource (status kept on
    /// main-resource writes, spec kept on status writes): disabled fields stay dropped, and a PersistentVolume status
    /// write that changes the phase stamps lastPhaseTransitionTime (persistentvolumeStatusStrategy.PrepareForUpdate).
    /// </summary>
    public static void PrepareForUpdate(BuiltinKind kind, JsonObject updated, JsonObject current, bool statusWrite, string now)
    {
        if (kind is not (BuiltinKind.PersistentVolumeClaim or BuiltinKind.PersistentVolume))
        {
            return;
        }

        if (!statusWrite)
        {
            if (current["spec"]?["volumeAttributesClassName"] is null)
            {
                (updated["spec"] as JsonObject)?.Remove("volumeAttributesClassName");
            }

            return;
        }

        if (kind != BuiltinKind.PersistentVolume)
        {
            return;
        }

        var status = Child(updated, "status");
        var oldPhase = Str(current["status"]?["phase"]);
        var oldTime = current["status"]?["lastPhaseTransitionTime"];
        if (oldPhase == Str(status["phase"]) && status["lastPhaseTransitionTime"] is null)
        {
            if (oldTime is not null)
            {
                status["lastPhaseTransitionTime"] = oldTime.DeepClone();
            }
        }
        else if (oldPhase != Str(status["phase"]) && (status["lastPhaseTransitionTime"] is null || JsonNode.DeepEquals(status["lastPhaseTransitionTime"], oldTime)))
        {
            status["lastPhaseTransitionTime"] = now;
        }
    }

    /// <summary>The strategy's <c>Validate</c>: 422 Invalid with every violation.</summary>
    public static void ValidateCreate(ResourceType type, JsonObject obj) => Throw(type, obj, type.Builtin switch
    {
        BuiltinKind.PersistentVolumeClaim => ValidateClaimSpec(obj["spec"] as JsonObject ?? []),
        BuiltinKind.PersistentVolume => ValidateVolumeSpec(obj["spec"] as JsonObject ?? []),
        BuiltinKind.StorageClass => ValidateClass(obj),
        _ => [],
    });

    /// <summary>The strategy's <c>ValidateUpdate</c> (main resource) or the status strategy's (status writes).</summary>
    public static void ValidateUpdate(ResourceType type, JsonObject updated, JsonObject current, bool statusWrite)
    {
        if (statusWrite)
        {
            // ValidatePersistentVolume(Claim)StatusUpdate: nothing beyond metadata and quantities (decoded above).
            return;
        }

        Throw(type, updated, type.Builtin switch
        {
            BuiltinKind.PersistentVolumeClaim => ValidateClaimUpdate(updated, current),
            BuiltinKind.PersistentVolume => ValidateVolumeUpdate(updated, current),
            BuiltinKind.StorageClass => ValidateClassUpdate(updated, current),
            _ => [],
        });
    }

    private static void Throw(ResourceType type, JsonObject obj, List<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, Meta.Name(obj), errors);
        }
    }

    /// <summary>pkg/apis/core/validation/validation.go <c>ValidatePersistentVolumeClaimSpec</c>.</summary>
    private static List<FieldError> ValidateClaimSpec(JsonObject spec)
    {
        var errors = new List<FieldError>();
        var modes = Strings(spec["accessModes"]);
        if (modes.Count == 0)
        {
            errors.Add(Required("spec.accessModes", "at least 1 access mode is required"));
        }

        ValidateAccessModes(modes, "spec.accessModes", errors);
        var storage = spec["resources"]?["requests"]?["storage"];
        if (storage is null)
        {
            errors.Add(Required("spec.resources[storage]"));
        }
        else if (Quantities.Parse(storage) is { Value: <= 0 } q)
        {
            errors.Add(Invalid("spec.resources[storage]", Quote(q.Canonical), "must be greater than zero"));
        }

        ValidateClassName(spec["storageClassName"], "spec.storageClassName", errors);
        if (spec["volumeMode"] is { } mode && !VolumeModes.Contains(Str(mode)))
        {
            errors.Add(NotSupported("spec.volumeMode", Render(mode), VolumeModes));
        }

        ValidateDataSource(spec["dataSource"], "spec.dataSource", errors);
        ValidateDataSource(spec["dataSourceRef"], "spec.dataSourceRef", errors);
        if (spec["dataSourceRef"] is JsonObject reference && !string.IsNullOrEmpty(Str(reference["namespace"])))
        {
            if (spec["dataSource"] is not null)
            {
                errors.Add(Invalid("spec", "spec.dataSource", "may not be specified when dataSourceRef.namespace is specified"));
            }
        }
        else if (spec["dataSource"] is JsonObject source && spec["dataSourceRef"] is JsonObject sourceRef
                 && !(JsonNode.DeepEquals(source["apiGroup"], sourceRef["apiGroup"]) && Str(source["kind"]) == Str(sourceRef["kind"]) && Str(source["name"]) == Str(sourceRef["name"])))
        {
            errors.Add(Invalid("spec", "spec.dataSource", "must match dataSourceRef"));
        }

        return errors;
    }

    private static void ValidateAccessModes(List<string> modes, string path, List<FieldError> errors)
    {
        bool once = false, others = false;
        foreach (var mode in modes)
        {
            if (!AccessModes.Contains(mode))
            {
                errors.Add(NotSupported(path, Quote(mode), AccessModes));
            }

            if (mode == "ReadWriteOncePod")
            {
                once = true;
            }
            else if (AccessModes.Contains(mode))
            {
                others = true;
            }
        }

        if (once && others)
        {
            errors.Add(Forbidden(path, "may not use ReadWriteOncePod with other access modes"));
        }
    }

    /// <summary><c>ValidateClassName</c> (a DNS-1123 subdomain) for a non-empty class name.</summary>
    private static void ValidateClassName(JsonNode? node, string path, List<FieldError> errors)
    {
        if (Str(node) is { Length: > 0 } name)
        {
            errors.AddRange(QualifiedNames.IsDns1123Subdomain(name).Select(m => Invalid(path, Quote(name), m)));
        }
    }

    /// <summary><c>validateDataSource</c> / <c>validateDataSourceRef</c>.</summary>
    private static void ValidateDataSource(JsonNode? node, string path, List<FieldError> errors)
    {
        if (node is not JsonObject source)
        {
            return;
        }

        if (string.IsNullOrEmpty(Str(source["name"])))
        {
            errors.Add(Required(path + ".name"));
        }

        var kind = Str(source["kind"]) ?? "";
        if (kind.Length == 0)
        {
            errors.Add(Required(path + ".kind"));
        }

        var group = Str(source["apiGroup"]) ?? "";
        if (group.Length == 0 && kind != "PersistentVolumeClaim")
        {
            errors.Add(Invalid(path, Quote(kind), "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
        }
        else if (group.Length > 0)
        {
            errors.AddRange(QualifiedNames.IsDns1123Subdomain(group).Select(m => Invalid(path + ".apiGroup", Quote(group), m)));
        }
    }

    /// <summary>
    /// <c>ValidatePersistentVolumeClaimUpdate</c>: the spec is immutable but for a volumeName set once (the binder),
    /// a storage class set where none was, and, for bound claims, resources.requests[storage], which may not go at
    /// or below status.capacity. The upstream message ends with a go-cmp diff of the two specs, which is left out.
    /// </summary>
    private static List<FieldError> ValidateClaimUpdate(JsonObject updated, JsonObject current)
    {
        var newSpec = updated["spec"] as JsonObject ?? [];
        var oldSpec = current["spec"] as JsonObject ?? [];
        var errors = ValidateClaimSpec(newSpec);
        var newClone = newSpec.DeepClone().AsObject();
        var oldClone = oldSpec.DeepClone().AsObject();
        if (string.IsNullOrEmpty(Str(oldSpec["volumeName"])))
        {
            oldClone["volumeName"] = newClone["volumeName"]?.DeepClone();
        }

        var oldAnnotation = Annotation(current, BetaStorageClassAnnotation);
        var newAnnotation = Annotation(updated, BetaStorageClassAnnotation);
        var oldClass = oldSpec["storageClassName"];
        var newClass = newSpec["storageClassName"];
        if (oldAnnotation is not null && oldClass is null && newClass is not null && Str(newClass) == oldAnnotation
            && (newAnnotation is null || newAnnotation == oldAnnotation))
        {
            // validateStorageClassUpgradeFromAnnotation: the class moves from the beta annotation to the field.
            newClone.Remove("storageClassName");
        }
        else
        {
            if (newAnnotation != oldAnnotation)
            {
                errors.Add(Invalid($"metadata.annotations.{BetaStorageClassAnnotation}", Quote(newAnnotation ?? ""), "field is immutable"));
            }

            if (newClass is not null && oldClass is null && (oldAnnotation is null || Str(newClass) == oldAnnotation))
            {
                // validateStorageClassUpgradeFromNil: a class may be set on a claim that had none.
                newClone.Remove("storageClassName");
            }
        }

        var bound = Str(updated["status"]?["phase"]) == "Bound";
        if (bound && newClone["resources"]?["requests"] is JsonObject requests)
        {
            requests["storage"] = oldSpec["resources"]?["requests"]?["storage"]?.DeepClone();
        }

        if (bound && newClone["volumeAttributesClassName"] is not null)
        {
            newClone["volumeAttributesClassName"] = oldClone["volumeAttributesClassName"]?.DeepClone();
        }

        if (!SemanticallyEqual(newClone, oldClone))
        {
            errors.Add(Forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
        }

        // RecoverVolumeExpansionFailure (on by default in 1.32): a request may shrink back, but not to status.capacity or below.
        var oldSize = Quantities.ValueOf(oldSpec["resources"]?["requests"]?["storage"]);
        var newSize = Quantities.ValueOf(newSpec["resources"]?["requests"]?["storage"]);
        if (newSize < oldSize && newSize <= Quantities.ValueOf(current["status"]?["capacity"]?["storage"]))
        {
            errors.Add(Forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"));
        }

        ValidateImmutable(newSpec["volumeMode"], oldSpec["volumeMode"], "volumeMode", errors);
        return errors;
    }

    /// <summary><c>ValidatePersistentVolumeSpec</c> for a PersistentVolume object (not an inline spec).</summary>
    private static List<FieldError> ValidateVolumeSpec(JsonObject spec)
    {
        var errors = new List<FieldError>();
        var modes = Strings(spec["accessModes"]);
        if (modes.Count == 0)
        {
            errors.Add(Required("spec.accessModes"));
        }

        ValidateAccessModes(modes, "spec.accessModes", errors);
        var capacity = spec["capacity"] as JsonObject;
        if (capacity is null || capacity.Count == 0)
        {
            errors.Add(Required("spec.capacity"));
        }

        if (capacity?["storage"] is null || capacity.Count > 1)
        {
            errors.Add(NotSupported("spec.capacity", ResourceList(capacity), ["storage"]));
        }

        foreach (var (key, value) in capacity ?? [])
        {
            if (Quantities.Parse(value) is not { } q)
            {
                continue;
            }

            if (q.Value < 0)
            {
                errors.Add(Invalid($"spec.capacity[{key}]", Quantities.IntegerText(q.Value), "must be a valid resource quantity"));
            }

            if (q.Value <= 0)
            {
                errors.Add(Invalid($"spec.capacity[{key}]", Quote(q.Canonical), "must be greater than zero"));
            }
        }

        if (Str(spec["persistentVolumeReclaimPolicy"]) is { Length: > 0 } policy && !PvReclaimPolicies.Contains(policy))
        {
            errors.Add(NotSupported("spec.persistentVolumeReclaimPolicy", Quote(policy), PvReclaimPolicies));
        }

        var volumes = 0;
        foreach (var (field, errorPath) in VolumeSources)
        {
            if (spec[field] is null)
            {
                continue;
            }

            if (volumes > 0 && errorPath.Length > 0)
            {
                errors.Add(Forbidden($"spec.{errorPath}", "may not specify more than 1 volume type"));
                continue;
            }

            volumes++;
            if (field == "csi" && spec["csi"] is JsonObject csi)
            {
                ValidateCsiSource(csi, errors);
            }
            else if (field == "local" && spec["nodeAffinity"]?["required"] is null)
            {
                errors.Add(Required("spec.nodeAffinity", "Local volume requires node affinity"));
            }
        }

        if (volumes == 0)
        {
            errors.Add(Required("spec", "must specify a volume type"));
        }

        ValidateClassName(spec["storageClassName"], "spec.storageClassName", errors);
        if (spec["volumeMode"] is { } mode && !VolumeModes.Contains(Str(mode)))
        {
            errors.Add(NotSupported("spec.volumeMode", Render(mode), VolumeModes));
        }

        return errors;
    }

    /// <summary><c>validateCSIPersistentVolumeSource</c> and <c>ValidateCSIDriverName</c> (secret references are not checked).</summary>
    private static void ValidateCsiSource(JsonObject csi, List<FieldError> errors)
    {
        var driver = Str(csi["driver"]) ?? "";
        if (driver.Length == 0)
        {
            errors.Add(Required("spec.csi.driver"));
        }

        if (driver.Length > 63)
        {
            errors.Add(new FieldError("FieldValueTooLong", "spec.csi.driver", "may not be more than 63 bytes"));
        }

        errors.AddRange(QualifiedNames.IsDns1123Subdomain(driver.ToLowerInvariant()).Select(m => Invalid("spec.csi.driver", Quote(driver), m)));
        if (string.IsNullOrEmpty(Str(csi["volumeHandle"])))
        {
            errors.Add(Required("spec.csi.volumeHandle"));
        }
    }

    /// <summary>
    /// <c>ValidatePersistentVolumeUpdate</c>: the volume source (all but a controllerExpandSecretRef added later) and
    /// volumeMode are immutable. Upstream appends a go-cmp diff to the source message; it is left out.
    /// </summary>
    private static List<FieldError> ValidateVolumeUpdate(JsonObject updated, JsonObject current)
    {
        var newSpec = updated["spec"] as JsonObject ?? [];
        var oldSpec = current["spec"] as JsonObject ?? [];
        var errors = ValidateVolumeSpec(newSpec);
        var newSource = Source(newSpec);
        var oldSource = Source(oldSpec);
        if (oldSource["csi"] is JsonObject oldCsi && oldCsi["controllerExpandSecretRef"] is null && newSource["csi"] is JsonObject newCsi)
        {
            newCsi.Remove("controllerExpandSecretRef");
        }

        if (!SemanticallyEqual(newSource, oldSource))
        {
            errors.Add(Forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
        }

        ValidateImmutable(newSpec["volumeMode"], oldSpec["volumeMode"], "volumeMode", errors);
        return errors;

        static JsonObject Source(JsonObject spec) =>
            new([.. VolumeSources.Where(s => spec[s.Field] is not null).Select(s => KeyValuePair.Create<string, JsonNode?>(s.Field, spec[s.Field]!.DeepClone()))]);
    }

    /// <summary>pkg/apis/storage/validation/validation.go <c>ValidateStorageClass</c> (allowedTopologies are not checked).</summary>
    private static List<FieldError> ValidateClass(JsonObject sc)
    {
        var errors = new List<FieldError>();
        var provisioner = Str(sc["provisioner"]) ?? "";
        if (provisioner.Length == 0)
        {
            errors.Add(Required("provisioner"));
        }
        else
        {
            errors.AddRange(QualifiedNames.IsQualifiedName(provisioner.ToLowerInvariant()).Select(m => Invalid("provisioner", Quote(provisioner), m)));
        }

        if (sc["parameters"] is JsonObject parameters)
        {
            if (parameters.Count > 512)
            {
                errors.Add(new FieldError("FieldValueTooLong", "parameters", "may not be more than 512 bytes"));
            }
            else
            {
                long size = 0;
                foreach (var (key, value) in parameters)
                {
                    if (key.Length == 0)
                    {
                        errors.Add(Invalid("parameters", Quote(key), "field can not be empty."));
                    }

                    size += key.Length + (Str(value)?.Length ?? 0);
                }

                if (size > 256 * 1024)
                {
                    errors.Add(new FieldError("FieldValueTooLong", "parameters", "may not be more than 262144 bytes"));
                }
            }
        }

        if (Str(sc["reclaimPolicy"]) is { Length: > 0 } policy && !ClassReclaimPolicies.Contains(policy))
        {
            errors.Add(NotSupported("reclaimPolicy", Quote(policy), ClassReclaimPolicies));
        }

        if (sc["volumeBindingMode"] is not { } mode)
        {
            errors.Add(Required("volumeBindingMode"));
        }
        else if (!BindingModes.Contains(Str(mode)))
        {
            errors.Add(NotSupported("volumeBindingMode", Render(mode), BindingModes));
        }

        return errors;
    }

    /// <summary><c>ValidateStorageClassUpdate</c>: parameters, provisioner, reclaimPolicy and volumeBindingMode are fixed.</summary>
    private static List<FieldError> ValidateClassUpdate(JsonObject updated, JsonObject current)
    {
        var errors = ValidateClass(updated);

        // reflect.DeepEqual on the map: an empty map is not the same as none.
        if (!JsonNode.DeepEquals(updated["parameters"], current["parameters"]))
        {
            errors.Add(Forbidden("parameters", "updates to parameters are forbidden."));
        }

        if (Str(updated["provisioner"]) != Str(current["provisioner"]))
        {
            errors.Add(Forbidden("provisioner", "updates to provisioner are forbidden."));
        }

        if (Str(updated["reclaimPolicy"]) != Str(current["reclaimPolicy"]))
        {
            errors.Add(Forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
        }

        ValidateImmutable(updated["volumeBindingMode"], current["volumeBindingMode"], "volumeBindingMode", errors);
        return errors;
    }

    /// <summary>apimachinery's <c>ValidateImmutableField</c>.</summary>
    private static void ValidateImmutable(JsonNode? updated, JsonNode? current, string path, List<FieldError> errors)
    {
        if (!JsonNode.DeepEquals(updated, current))
        {
            errors.Add(Invalid(path, updated is null ? "null" : Render(updated), "field is immutable"));
        }
    }

    /// <summary>
    /// apiequality.Semantic.DeepEqual on JSON: absent, null, empty lists and empty maps are all the zero value, and so
    /// is an empty volumeName (a plain string field). Quantities are compared in canonical form.
    /// </summary>
    private static bool SemanticallyEqual(JsonObject a, JsonObject b) => JsonNode.DeepEquals(Normalized(a), Normalized(b));

    private static JsonNode? Normalized(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
            {
                var result = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (Normalized(value) is { } v && !(key == "volumeName" && Str(v) == ""))
                    {
                        result[key] = v;
                    }
                }

                return result.Count == 0 ? null : result;
            }

            case JsonArray a:
                return a.Count == 0 ? null : new JsonArray([.. a.Select(i => i?.DeepClone())]);
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>The <c>%#v</c> of a core.ResourceList as field errors print it (values abbreviated to their quantity).</summary>
    private static string ResourceList(JsonObject? capacity) =>
        capacity is null ? "core.ResourceList(nil)"
            : "core.ResourceList{" + string.Join(", ", capacity.Select(kv => $"{Quote(kv.Key)}:{Quote(Quantities.Text(kv.Value))}")) + "}";

    private static JsonObject Child(JsonObject obj, string key)
    {
        if (obj[key] is JsonObject child)
        {
            return child;
        }

        child = [];
        obj[key] = child;
        return child;
    }

    private static string? Annotation(JsonObject obj, string key) => Str(obj["metadata"]?["annotations"]?[key]);

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(n => Str(n) ?? n?.ToJsonString() ?? "")] : [];

    private static string Quote(string s) => StructuralSchema.Quote(s);

    private static string Render(JsonNode node) => Str(node) is { } s ? Quote(s) : node.ToJsonString();

    private static FieldError Required(string path, string detail = "") => new("FieldValueRequired", path, detail);

    private static FieldError Invalid(string path, string badValue, string detail) => new("FieldValueInvalid", path, detail, badValue);

    private static FieldError Forbidden(string path, string detail) => new("FieldValueForbidden", path, detail);

    private static FieldError NotSupported(string path, string badValue, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", path, "supported values: " + string.Join(", ", supported.Select(Quote)), badValue);
}
