using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using static Vers.LocalCluster.ApiServer.Registry.Volumes.VolumeRules;

namespace Vers.LocalCluster.ApiServer.Registry.Volumes;

/// <summary>
/// pkg/registry/core/persistentvolumeclaim/strategy.go with the claim's decoding defaults (pkg/apis/core/v1/defaults.go
/// SetDefaults_PersistentVolumeClaim(Spec)), the DefaultStorageClass and StorageObjectInUseProtection admission
/// plugins, and ValidatePersistentVolumeClaim(Update) of pkg/apis/core/validation/validation.go. Only what the rules
/// below name is checked; selectors are stored as given.
/// </summary>
internal sealed class PersistentVolumeClaimStrategy() : TypedStrategy(typeof(k8s.Models.V1PersistentVolumeClaim))
{
    protected override void Default(ResourceType type, JsonObject obj)
    {
        var spec = Child(obj, "spec");
        spec["volumeMode"] ??= "Filesystem";
        Child(obj, "status")["phase"] ??= "Pending";
        Canonicalize(type, spec["resources"]?["requests"], spec["resources"]?["limits"], obj["status"]?["capacity"], obj["status"]?["allocatedResources"]);
    }

    /// <summary>
    /// DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault/admission.go <c>Admit</c>): a claim
    /// that asks for no class gets the default one; StorageObjectInUseProtection (<c>admitPVC</c>) adds its finalizer.
    /// </summary>
    public override void AdmitCreate(StrategyContext ctx, JsonObject obj)
    {
        // helper.PersistentVolumeClaimHasClass: the beta annotation or any spec.storageClassName, even "".
        if (Annotation(obj, BetaStorageClassAnnotation) is null && obj["spec"]?["storageClassName"] is null
            && StorageClassStrategy.DefaultClass(ctx.Objects.List(ctx.Objects.Registry.StorageClasses)) is { } name)
        {
            Child(obj, "spec")["storageClassName"] = name;
        }

        AddFinalizer(obj, PvcProtectionFinalizer);
    }

    /// <summary>PrepareForCreate: status reset, disabled fields dropped, <c>NormalizeDataSources</c>.</summary>
    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        obj["status"] = new JsonObject { ["phase"] = "Pending" };
        var spec = Child(obj, "spec");
        spec.Remove("volumeAttributesClassName");
        NormalizeDataSources(spec);
        return null;
    }

    /// <summary>PrepareForUpdate beyond the store's status separation: disabled fields stay dropped.</summary>
    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        if (!ctx.IsStatus && old["spec"]?["volumeAttributesClassName"] is null)
        {
            (updated["spec"] as JsonObject)?.Remove("volumeAttributesClassName");
        }
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateClaimSpec(obj["spec"] as JsonObject ?? []);

    /// <summary>ValidatePersistentVolumeClaimUpdate; status writes (ValidatePersistentVolumeClaimStatusUpdate) check nothing beyond decoding.</summary>
    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) =>
        ctx.IsStatus ? [] : ValidateClaimUpdate(updated, old);

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
}
