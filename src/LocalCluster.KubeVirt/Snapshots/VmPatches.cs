using System.Text.Json.Nodes;

namespace Vers.LocalCluster.KubeVirt.Snapshots;

/// <summary>
/// The JSON patches a restore applies to a new VM (restore.go <c>patchVM</c>, gopkg.in/evanphx/json-patch.v4): add and
/// replace set an object member whether or not it exists (v4's <c>partialDoc.get</c> never fails, so replacing a missing
/// member adds it), remove drops it; array elements are addressed by index. Patch strings that do not parse are skipped,
/// as the admission webhook would have refused them.
/// </summary>
internal static class VmPatches
{
    public static void Apply(JsonObject vm, IEnumerable<string> patches)
    {
        foreach (var text in patches)
        {
            if (JsonNode.Parse(text) is not JsonObject op || (string?)op["path"] is not { Length: > 1 } path)
            {
                continue;
            }

            var segments = path[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            JsonNode? parent = vm;
            foreach (var segment in segments[..^1])
            {
                parent = parent switch
                {
                    JsonObject o => o[segment],
                    JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
                    _ => null,
                };
            }

            var last = segments[^1];
            switch ((string?)op["op"], parent)
            {
                case ("add" or "replace", JsonObject o):
                    o[last] = op["value"]?.DeepClone();
                    break;
                case ("add" or "replace", JsonArray a) when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                    a[i] = op["value"]?.DeepClone();
                    break;
                case ("remove", JsonObject o):
                    o.Remove(last);
                    break;
            }
        }
    }
}
