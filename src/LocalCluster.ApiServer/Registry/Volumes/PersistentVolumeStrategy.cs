using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using static Vers.LocalCluster.ApiServer.Registry.Volumes.VolumeRules;

namespace Vers.LocalCluster.ApiServer.Registry.Volumes;

/// <summary>
/// pkg/registry/core/persistentvolume/strategy.go with the volume's decoding defaults (SetDefaults_PersistentVolume),
/// StorageObjectInUseProtection (<c>admitPV</c>) and ValidatePersistentVolume(Update). Node affinity and volume
/// sources other than CSI are stored as given.
/// </summary>
internal sealed class PersistentVolumeStrategy() : TypedStrategy(typeof(k8s.Models.V1PersistentVolume))
{
    protected override void Default(ResourceType type, JsonObject obj)
    {
        var spec = Child(obj, "spec");
        spec["persistentVolumeReclaimPolicy"] ??= "Retain";
        spec["volumeMode"] ??= "Filesystem";
        Child(obj, "status")["phase"] ??= "Pending";
        Canonicalize(type, spec["capacity"]);
    }

    public override void AdmitCreate(StrategyContext ctx, JsonObject obj) => AddFinalizer(obj, PvProtectionFinalizer);

    /// <summary>PrepareForCreate: status reset to Pending with lastPhaseTransitionTime, disabled fields dropped.</summary>
    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["lastPhaseTransitionTime"] = ctx.Now };
        Child(obj, "spec").Remove("volumeAttributesClassName");
        return null;
    }

    /// <summary>
    /// Disabled fields stay dropped on main-resource writes; a status write that changes the phase stamps
    /// lastPhaseTransitionTime (persistentvolumeStatusStrategy.PrepareForUpdate).
    /// </summary>
    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        if (!ctx.IsStatus)
        {
            if (old["spec"]?["volumeAttributesClassName"] is null)
            {
                (updated["spec"] as JsonObject)?.Remove("volumeAttributesClassName");
            }

            return;
        }

        var status = Child(updated, "status");
        var oldPhase = Str(old["status"]?["phase"]);
        var oldTime = old["status"]?["lastPhaseTransitionTime"];
        if (oldPhase == Str(status["phase"]) && status["lastPhaseTransitionTime"] is null)
        {
            if (oldTime is not null)
            {
                status["lastPhaseTransitionTime"] = oldTime.DeepClone();
            }
        }
        else if (oldPhase != Str(status["phase"]) && (status["lastPhaseTransitionTime"] is null || JsonNode.DeepEquals(status["lastPhaseTransitionTime"], oldTime)))
        {
            status["lastPhaseTransitionTime"] = ctx.Now;
        }
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateVolumeSpec(obj["spec"] as JsonObject ?? []);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) =>
        ctx.IsStatus ? [] : ValidateVolumeUpdate(updated, old);

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
}
