using System.Text.Json.Nodes;

namespace Vers.LocalCluster.Api.Patching;

/// <summary>RFC 7386 JSON merge patch, plus the strategic-merge-patch directive stripping used for our built-ins.</summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch, bool strategic = false)
    {
        if (patch is not JsonObject po)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject to ? to.DeepClone().AsObject() : new JsonObject();
        if (strategic && po["$patch"]?.GetValue<string>() == "replace")
        {
            result = new JsonObject();
        }

        foreach (var (key, value) in po)
        {
            if (strategic && key.StartsWith('$'))
            {
                // $setElementOrder/, $retainKeys, $deleteFromPrimitiveList/ only reorder or prune lists and maps our
                // built-ins (string maps and scalars) do not have; ignoring them is the merge-patch equivalent.
                continue;
            }

            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                var merged = Apply(result[key], value, strategic);
                result.Remove(key);
                result[key] = merged;
            }
        }

        return result;
    }
}
