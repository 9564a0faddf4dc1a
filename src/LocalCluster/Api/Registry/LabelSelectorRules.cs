using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Resources;

namespace Vers.LocalCluster.Api.Registry;

/// <summary>staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation ValidateLabelSelector and ValidateLabelSelectorRequirement.</summary>
internal static class LabelSelectorRules
{
    public static void Validate(JsonObject selector, string path, List<FieldError> errors)
    {
        if (selector["matchLabels"] is JsonObject labels)
        {
            ObjectMetaRules.Labels(labels, path + ".matchLabels", errors);
        }

        var i = 0;
        foreach (var requirement in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Requirement(requirement, $"{path}.matchExpressions[{i++}]", errors);
        }
    }

    private static void Requirement(JsonObject requirement, string path, List<FieldError> errors)
    {
        var values = (requirement["values"] as JsonArray ?? []).Select(v => v?.ToString() ?? "").ToList();
        var op = requirement["operator"]?.ToString() ?? "";
        switch (op)
        {
            case "In" or "NotIn" when values.Count == 0:
                errors.Add(new FieldError("FieldValueRequired", path + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
                break;
            case "Exists" or "DoesNotExist" when values.Count > 0:
                errors.Add(new FieldError("FieldValueForbidden", path + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                break;
            case "In" or "NotIn" or "Exists" or "DoesNotExist":
                break;
            default:
                errors.Add(ObjectMetaRules.Invalid(path + ".operator", op, "not a valid selector operator"));
                break;
        }

        var key = requirement["key"]?.ToString() ?? "";
        errors.AddRange(QualifiedNames.IsQualifiedName(key).Select(m => ObjectMetaRules.Invalid(path + ".key", key, m)));
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            errors.AddRange(ObjectMetaRules.LabelValue(value).Select(m => ObjectMetaRules.Invalid($"{path}.values[{i}]", value, m)));
        }
    }
}
