using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Vers.LocalCluster.ApiServer.Resources;

/// <summary>
/// resource.Quantity as the server decodes and re-encodes it (staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go):
/// a string or a JSON number, written back in canonical form (<c>1024Mi</c> is stored as <c>1Gi</c>).
/// </summary>
internal static partial class Quantities
{
    /// <summary><c>ErrFormatWrong</c>, the decoding error for a value that is not a quantity.</summary>
    public const string FormatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    /// <summary>The value and canonical text of a quantity node; null when it is not a quantity.</summary>
    public static (decimal Value, string Canonical)? Parse(JsonNode? node)
    {
        var text = node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        };
        if (text is null || text.Length == 0 || !Syntax().IsMatch(text))
        {
            return null;
        }

        try
        {
            var negative = text[0] == '-';
            var magnitude = new ResourceQuantity(negative || text[0] == '+' ? text[1..] : text);
            var value = magnitude.ToDecimal();
            var canonical = magnitude.CanonicalizeString();
            return negative && value != 0 ? (-value, "-" + canonical) : (value, canonical);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Canonicalizes every value of a quantity map in place; false when one is not a quantity.</summary>
    public static bool CanonicalizeMap(JsonNode? map)
    {
        if (map is not JsonObject o)
        {
            return true;
        }

        foreach (var key in o.Select(kv => kv.Key).ToList())
        {
            if (o[key] is null)
            {
                continue;
            }

            if (Parse(o[key]) is not { } q)
            {
                return false;
            }

            o[key] = q.Canonical;
        }

        return true;
    }

    public static decimal ValueOf(JsonNode? node) => Parse(node)?.Value ?? 0;

    /// <summary>The quantity as <c>Quantity.String()</c> prints it (<c>0</c> when absent).</summary>
    public static string Text(JsonNode? node) => Parse(node)?.Canonical ?? "0";

    /// <summary><c>Quantity.Value()</c>: the value rounded up to an integer.</summary>
    public static string IntegerText(decimal value) => decimal.Ceiling(value).ToString(CultureInfo.InvariantCulture);

    [System.Text.RegularExpressions.GeneratedRegex("^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")]
    private static partial System.Text.RegularExpressions.Regex Syntax();
}
