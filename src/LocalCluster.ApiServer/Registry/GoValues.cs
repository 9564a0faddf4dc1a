using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// Bad values as field.Error.ErrorBody prints them (apimachinery pkg/util/validation/field/errors.go): strings with
/// %q, numbers bare, and anything else (maps, structs such as metav1.LabelSelector and intstr.IntOrString, whose
/// String methods have pointer receivers) with Go's %#v. kubectl shows these texts, so they are reproduced exactly.
/// </summary>
internal static class GoValues
{
    /// <summary>What %#v prints for a non-nil pointer field; Go prints an address, which no client can rely on.</summary>
    public const string SomeAddress = "0xc000010000";

    /// <summary>strconv.Quote: Go escapes, printable characters kept.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                case < 0x20 or 0x7f: sb.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}"); break;
                default:
                    var category = Rune.GetUnicodeCategory(rune);
                    if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                        or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
                    {
                        sb.Append(rune.Value > 0xFFFF ? $"\\U{rune.Value:x8}" : $"\\u{rune.Value:x4}");
                    }
                    else
                    {
                        sb.Append(rune.ToString());
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>A map[string]string (labels, matchLabels): keys sorted as fmt sorts them; null is a nil map.</summary>
    public static string StringMap(JsonNode? map) => map is JsonObject o
        ? "map[string]string{" + string.Join(", ", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{Quote(p.Key)}:{Quote(FieldErrors.Str(p.Value) ?? "")}")) + "}"
        : "map[string]string(nil)";

    /// <summary>A []string; null is a nil slice.</summary>
    public static string Strings(JsonNode? list) => list is JsonArray a
        ? "[]string{" + string.Join(", ", a.Select(n => Quote(FieldErrors.Str(n) ?? ""))) + "}"
        : "[]string(nil)";

    /// <summary>A metav1.LabelSelector value (a pointer field dereferenced, as ErrorBody does).</summary>
    public static string LabelSelector(JsonNode? selector)
    {
        var expressions = selector?["matchExpressions"] is JsonArray a
            ? "[]v1.LabelSelectorRequirement{" + string.Join(", ", a.Select(e =>
                $"v1.LabelSelectorRequirement{{Key:{Quote(FieldErrors.Str(e?["key"]) ?? "")}, Operator:{Quote(FieldErrors.Str(e?["operator"]) ?? "")}, Values:{Strings(e?["values"])}}}")) + "}"
            : "[]v1.LabelSelectorRequirement(nil)";
        return $"v1.LabelSelector{{MatchLabels:{StringMap(selector?["matchLabels"])}, MatchExpressions:{expressions}}}";
    }

    /// <summary>An intstr.IntOrString value: Type 0 with IntVal for numbers, Type 1 with StrVal for strings.</summary>
    public static string IntOrString(JsonNode? value) => FieldErrors.Str(value) is { } s
        ? $"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{Quote(s)}}}"
        : $"intstr.IntOrString{{Type:0, IntVal:{FieldErrors.Int(value) ?? 0}, StrVal:\"\"}}";

    /// <summary>A pointer field inside a struct printed with %#v: <c>(*T)(nil)</c> or <c>(*T)(0xc…)</c>.</summary>
    public static string Pointer(string goType, JsonNode? value) => $"(*{goType})({(value is null ? "nil" : SomeAddress)})";
}
