using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// metav1.LabelSelector as the registry uses it: ValidateLabelSelector and ValidateLabels
/// (staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go), LabelSelectorAsSelector with its
/// <c>String()</c> (pkg/apis/meta/v1/helpers.go, pkg/labels/selector.go) and <c>Matches</c>.
/// </summary>
internal static partial class LabelSelectors
{
    private const string LabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
    private const string LabelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    /// <summary>ValidateLabelSelector with AllowInvalidLabelValueInSelector false; a null selector is valid.</summary>
    public static IEnumerable<FieldError> Validate(JsonNode? selector, string path)
    {
        if (selector is not JsonObject s)
        {
            yield break;
        }

        foreach (var e in ValidateLabels(s["matchLabels"], path + ".matchLabels"))
        {
            yield return e;
        }

        foreach (var (i, expr) in FieldErrors.Items(s["matchExpressions"]))
        {
            var at = $"{path}.matchExpressions[{i}]";
            var op = FieldErrors.Str(expr["operator"]) ?? "";
            var values = expr["values"] as JsonArray;
            switch (op)
            {
                case "In" or "NotIn" when values is not { Count: > 0 }:
                    yield return FieldErrors.Required(at + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
                    break;
                case "Exists" or "DoesNotExist" when values is { Count: > 0 }:
                    yield return FieldErrors.Forbidden(at + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    break;
                case "In" or "NotIn" or "Exists" or "DoesNotExist":
                    break;
                default:
                    yield return FieldErrors.Invalid(at + ".operator", GoValues.Quote(op), "not a valid selector operator");
                    break;
            }

            var key = FieldErrors.Str(expr["key"]) ?? "";
            foreach (var msg in QualifiedNames.IsQualifiedName(key))
            {
                yield return FieldErrors.Invalid(at + ".key", GoValues.Quote(key), msg);
            }

            foreach (var (j, value) in (values ?? []).Select((v, j) => (j, FieldErrors.Str(v) ?? "")))
            {
                foreach (var msg in IsValidLabelValue(value))
                {
                    yield return FieldErrors.Invalid($"{at}.values[{j}]", GoValues.Quote(value), msg);
                }
            }
        }
    }

    /// <summary>ValidateLabels: every key a qualified name, every value a label value; errors name the map's path.</summary>
    public static IEnumerable<FieldError> ValidateLabels(JsonNode? labels, string path)
    {
        foreach (var (key, value) in labels as JsonObject ?? [])
        {
            foreach (var msg in QualifiedNames.IsQualifiedName(key))
            {
                yield return FieldErrors.Invalid(path, GoValues.Quote(key), msg);
            }

            var text = FieldErrors.Str(value) ?? "";
            foreach (var msg in IsValidLabelValue(text))
            {
                yield return FieldErrors.Invalid(path, GoValues.Quote(text), msg);
            }
        }
    }

    /// <summary>validation.IsValidLabelValue.</summary>
    public static List<string> IsValidLabelValue(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add("must be no more than 63 characters");
        }

        if (!LabelValue().IsMatch(value))
        {
            errors.Add(QualifiedNames.RegexError(LabelValueMessage, LabelValueFmt, "MyValue", "my_value", "12345"));
        }

        return errors;
    }

    /// <summary>Whether the selector has neither matchLabels nor matchExpressions (it selects everything).</summary>
    public static bool IsEmpty(JsonNode? selector) =>
        (selector?["matchLabels"] as JsonObject)?.Count is null or 0 && (selector?["matchExpressions"] as JsonArray)?.Count is null or 0;

    /// <summary>
    /// <c>LabelSelectorAsSelector(s).String()</c>: the requirements sorted by key, joined by commas (<c>k=v</c>,
    /// <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>); empty for an empty or absent selector.
    /// </summary>
    public static string ToText(JsonNode? selector)
    {
        var requirements = new List<(string Key, string Text)>();
        foreach (var (key, value) in selector?["matchLabels"] as JsonObject ?? [])
        {
            requirements.Add((key, $"{key}={FieldErrors.Str(value)}"));
        }

        foreach (var (_, expr) in FieldErrors.Items(selector?["matchExpressions"]))
        {
            var key = FieldErrors.Str(expr["key"]) ?? "";
            var values = string.Join(",", (expr["values"] as JsonArray ?? []).Select(v => FieldErrors.Str(v) ?? "").Order(StringComparer.Ordinal));
            requirements.Add((key, FieldErrors.Str(expr["operator"]) switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "DoesNotExist" => "!" + key,
                _ => key,
            }));
        }

        return string.Join(",", requirements.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Text));
    }

    /// <summary>labels.Selector.Matches on a label map (every requirement holds).</summary>
    public static bool Matches(JsonNode? selector, JsonNode? labels)
    {
        var set = labels as JsonObject;
        string? Label(string key) => set is not null && set.TryGetPropertyValue(key, out var v) ? FieldErrors.Str(v) ?? "" : null;
        foreach (var (key, value) in selector?["matchLabels"] as JsonObject ?? [])
        {
            if (Label(key) != FieldErrors.Str(value))
            {
                return false;
            }
        }

        foreach (var (_, expr) in FieldErrors.Items(selector?["matchExpressions"]))
        {
            var actual = Label(FieldErrors.Str(expr["key"]) ?? "");
            var values = (expr["values"] as JsonArray ?? []).Select(v => FieldErrors.Str(v)).ToList();
            var holds = FieldErrors.Str(expr["operator"]) switch
            {
                "In" => actual is not null && values.Contains(actual),
                "NotIn" => actual is null || !values.Contains(actual),
                "Exists" => actual is not null,
                "DoesNotExist" => actual is null,
                _ => false,
            };
            if (!holds)
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex("^" + LabelValueFmt + "$")]
    private static partial Regex LabelValue();
}
