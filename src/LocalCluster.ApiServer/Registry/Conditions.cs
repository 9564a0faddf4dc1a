using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// ValidateConditions for metav1.Condition lists (staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/
/// validation.go): types unique qualified names, status True/False/Unknown, a reason and a lastTransitionTime.
/// </summary>
internal static partial class Conditions
{
    private const string ReasonFmt = "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?";
    private const string ReasonMessage = "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'";

    public static IEnumerable<FieldError> Validate(JsonNode? conditions, string path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, condition) in FieldErrors.Items(conditions))
        {
            var at = $"{path}[{i}]";
            var type = FieldErrors.Str(condition["type"]) ?? "";
            if (!seen.Add(type))
            {
                yield return FieldErrors.Duplicate(at + ".type", GoValues.Quote(type));
            }

            foreach (var msg in QualifiedNames.IsQualifiedName(type))
            {
                yield return FieldErrors.Invalid(at + ".type", GoValues.Quote(type), msg);
            }

            var status = FieldErrors.Str(condition["status"]) ?? "";
            if (status is not ("True" or "False" or "Unknown"))
            {
                yield return FieldErrors.NotSupported(at + ".status", GoValues.Quote(status), "False", "True", "Unknown");
            }

            if (FieldErrors.Int(condition["observedGeneration"]) is < 0 and var generation)
            {
                yield return FieldErrors.Invalid(at + ".observedGeneration", generation.ToString(CultureInfo.InvariantCulture), "must be greater than or equal to zero");
            }

            if (string.IsNullOrEmpty(FieldErrors.Str(condition["lastTransitionTime"])))
            {
                yield return FieldErrors.Required(at + ".lastTransitionTime", "must be set");
            }

            var reason = FieldErrors.Str(condition["reason"]) ?? "";
            if (reason.Length == 0)
            {
                yield return FieldErrors.Required(at + ".reason", "must be set");
            }
            else if (!Reason().IsMatch(reason))
            {
                yield return FieldErrors.Invalid(at + ".reason", GoValues.Quote(reason),
                    QualifiedNames.RegexError(ReasonMessage, ReasonFmt, "my_name", "MY_NAME", "MyName", "ReasonA,ReasonB", "ReasonA:ReasonB"));
            }
        }
    }

    [GeneratedRegex("^" + ReasonFmt + "$")]
    private static partial Regex Reason();
}
