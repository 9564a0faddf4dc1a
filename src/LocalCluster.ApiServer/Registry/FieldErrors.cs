using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// The constructors of staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go (Required, Invalid,
/// Forbidden, Duplicate, NotSupported) and apivalidation.ValidateNonnegativeField, for the built-in strategies; bad
/// values are passed rendered (see <see cref="GoValues"/>), as <c>Error.ErrorBody</c> prints them.
/// </summary>
internal static class FieldErrors
{
    public static FieldError Required(string path, string detail = "") => new("FieldValueRequired", path, detail);

    public static FieldError Invalid(string path, string badValue, string detail) => new("FieldValueInvalid", path, detail, badValue);

    public static FieldError Forbidden(string path, string detail) => new("FieldValueForbidden", path, detail);

    public static FieldError Duplicate(string path, string badValue) => new("FieldValueDuplicate", path, "", badValue);

    public static FieldError NotSupported(string path, string badValue, params string[] supported) =>
        new("FieldValueNotSupported", path, "supported values: " + string.Join(", ", supported.Select(GoValues.Quote)), badValue);

    /// <summary>ValidateNonnegativeField (pkg/apis/core/validation/validation.go).</summary>
    public static IEnumerable<FieldError> NonNegative(long? value, string path) =>
        value < 0 ? [Invalid(path, value.Value.ToString(CultureInfo.InvariantCulture), "must be greater than or equal to 0")] : [];

    /// <summary>An integer field's value; null when absent or not an integer (the decoder rejected those already).</summary>
    public static long? Int(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A string field's value; null when absent or not a string.</summary>
    public static string? Str(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>The elements of a list field that are objects (none when absent or not a list).</summary>
    public static IEnumerable<(int Index, JsonObject Item)> Items(JsonNode? list) =>
        list is JsonArray a ? a.Select((n, i) => (i, n as JsonObject)).Where(x => x.Item2 is not null).Select(x => (x.i, x.Item2!)) : [];
}
