using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Registry.Apps;

/// <summary>
/// The intstr.IntOrString checks of pkg/apis/apps/validation/validation.go (ValidatePositiveIntOrPercent,
/// IsNotMoreThan100Percent, getIntOrPercentValue), which PodDisruptionBudget validation shares.
/// </summary>
internal static partial class IntOrPercent
{
    private const string PercentMessage = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

    /// <summary>ValidatePositiveIntOrPercent: a percent string of the form <c>[0-9]+%</c>, or a non-negative integer.</summary>
    public static IEnumerable<FieldError> ValidatePositive(JsonNode? value, string path)
    {
        if (FieldErrors.Str(value) is { } s)
        {
            return IsPercent(s) ? [] : [FieldErrors.Invalid(path, GoValues.IntOrString(value), PercentMessage)];
        }

        return FieldErrors.NonNegative(FieldErrors.Int(value), path);
    }

    /// <summary>IsNotMoreThan100Percent: only percent strings are checked.</summary>
    public static IEnumerable<FieldError> NotMoreThan100Percent(JsonNode? value, string path) =>
        Percent(value) is > 100 ? [FieldErrors.Invalid(path, GoValues.IntOrString(value), "must not be greater than 100%")] : [];

    /// <summary>getIntOrPercentValue: a valid percent's number, else IntValue() (a string's Atoi, 0 when it is none).</summary>
    public static long Value(JsonNode? value) =>
        Percent(value) ?? (FieldErrors.Str(value) is { } s ? (int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0) : FieldErrors.Int(value) ?? 0);

    private static long? Percent(JsonNode? value) =>
        FieldErrors.Str(value) is { } s && IsPercent(s) && long.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static bool IsPercent(string s) => PercentPattern().IsMatch(s);

    [GeneratedRegex("^[0-9]+%$")]
    private static partial Regex PercentPattern();
}
