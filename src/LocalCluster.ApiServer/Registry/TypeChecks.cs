using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// A minimal stand-in for the typed decoding of built-in kinds, for the integer fields a strategy reads: the
/// <c>UnmarshalTypeError</c> encoding/json (sigs.k8s.io/json) reports, wrapped as the codec's BadRequest
/// (<c>"{kind} in version {v} cannot be handled as a {kind}: …"</c>, apimachinery runtime/serializer).
/// </summary>
internal static class TypeChecks
{
    /// <summary>
    /// Throws the 400 when <paramref name="value"/> does not decode into an int32 field (an intstr.IntOrString when
    /// <paramref name="orString"/>: its UnmarshalJSON decodes anything but a string as int32, so errors read alike).
    /// </summary>
    public static void Int32(string kind, string version, JsonNode? value, string goStruct, string path, bool orString = false)
    {
        var what = value switch
        {
            null => null,
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.String => orString ? null : "string",
                JsonValueKind.True or JsonValueKind.False => "bool",
                JsonValueKind.Number => int.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : "number " + v.ToJsonString(),
                _ => null,
            },
            _ => null,
        };
        if (what is not null)
        {
            throw ApiException.BadRequest($"{kind} in version \"{version}\" cannot be handled as a {kind}: json: cannot unmarshal {what} into Go struct field {goStruct}.{path} of type int32");
        }
    }
}
