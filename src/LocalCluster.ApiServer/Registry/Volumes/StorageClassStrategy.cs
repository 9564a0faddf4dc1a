using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using static Vers.LocalCluster.ApiServer.Registry.Volumes.VolumeRules;

namespace Vers.LocalCluster.ApiServer.Registry.Volumes;

/// <summary>
/// pkg/registry/storage/storageclass/strategy.go with the class's decoding defaults (pkg/apis/storage/v1/defaults.go)
/// and ValidateStorageClass(Update) of pkg/apis/storage/validation/validation.go; the default class lookup the
/// DefaultStorageClass admission plugin uses (pkg/volume/util/storageclass.go <c>GetDefaultClass</c>).
/// </summary>
internal sealed class StorageClassStrategy() : TypedStrategy(typeof(k8s.Models.V1StorageClass))
{
    protected override void Default(ResourceType type, JsonObject obj)
    {
        obj["reclaimPolicy"] ??= "Delete";
        obj["volumeBindingMode"] ??= "Immediate";
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateClass(obj);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => ValidateClassUpdate(updated, old);

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
}
