using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Patching;

/// <summary>
/// RFC 7386 JSON merge patch, and strategic merge patch for the built-ins we store as data: merge patch plus the
/// directives (<c>$patch</c>, <c>$retainKeys</c>, <c>$setElementOrder/…</c>, <c>$deleteFromPrimitiveList/…</c>) and
/// merging of the lists the Kubernetes types declare with a patch merge key. kubectl computes SMP from its compiled-in
/// types (our OpenAPI does not advertise SMP), so a Deployment re-apply sends partial container lists keyed by name.
/// </summary>
internal static class MergePatch
{
    /// <summary>List fields with patchStrategy=merge in the built-in types we serve, and their patchMergeKey.</summary>
    private static string? MergeKey(string field, JsonArray patchList, JsonArray? original)
    {
        switch (field)
        {
            case "containers" or "initContainers" or "ephemeralContainers" or "env" or "volumes" or "imagePullSecrets":
                return "name";
            case "volumeMounts" or "volumeDevices":
                return "mountPath";
            case "conditions":
                return "type";
            case "hostAliases":
                return "ip";
            case "ownerReferences":
                return "uid";
            case "ports":
                // Container ports merge on containerPort, Service ports on port.
                var sample = patchList.OfType<JsonObject>().Concat(original?.OfType<JsonObject>() ?? []).FirstOrDefault(o => !o.ContainsKey("$patch"));
                return sample?.ContainsKey("containerPort") == true ? "containerPort" : "port";
            default:
                return null;
        }
    }

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
                continue;
            }

            if (value is null || (strategic && value is JsonObject vo && vo["$patch"]?.ToString() == "delete"))
            {
                result.Remove(key);
            }
            else if (strategic && value is JsonArray list && MergeKey(key, list, result[key] as JsonArray) is { } mergeKey)
            {
                var merged = MergeList(result[key] as JsonArray ?? [], list, mergeKey, po[$"$setElementOrder/{key}"] as JsonArray);
                result.Remove(key);
                result[key] = merged;
            }
            else
            {
                var merged = Apply(result[key], value, strategic);
                result.Remove(key);
                result[key] = merged;
            }
        }

        if (strategic)
        {
            ApplyDirectives(result, po);
        }

        return result;
    }

    private static void ApplyDirectives(JsonObject result, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal) && value is JsonArray remove)
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (result[field] is JsonArray list)
                {
                    foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList())
                    {
                        list.Remove(item);
                    }
                }
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(r => r?.ToString()).OfType<string>().ToHashSet();
            foreach (var key in result.Select(kv => kv.Key).Where(k => !keep.Contains(k)).ToList())
            {
                result.Remove(key);
            }
        }
    }

    private static JsonArray MergeList(JsonArray original, JsonArray patch, string mergeKey, JsonArray? order)
    {
        if (patch.OfType<JsonObject>().Any(e => e["$patch"]?.ToString() == "replace"))
        {
            return new JsonArray([.. patch.OfType<JsonObject>().Where(e => e["$patch"] is null).Select(e => e.DeepClone())]);
        }

        var items = original.Select(i => i?.DeepClone()).ToList();
        int IndexOf(JsonNode? key) => items.FindIndex(i => i is JsonObject o && JsonNode.DeepEquals(o[mergeKey], key));
        foreach (var element in patch)
        {
            if (element is not JsonObject pe)
            {
                items.Add(element?.DeepClone());
                continue;
            }

            var index = IndexOf(pe[mergeKey]);
            if (pe["$patch"]?.ToString() == "delete")
            {
                if (index >= 0)
                {
                    items.RemoveAt(index);
                }
            }
            else if (index >= 0)
            {
                items[index] = Apply(items[index], pe, strategic: true);
            }
            else
            {
                items.Add(Apply(null, pe, strategic: true));
            }
        }

        if (order is not null)
        {
            // $setElementOrder gives the final relative order of the listed keys; others keep theirs after them.
            var rank = order.Select((o, i) => (Key: o?[mergeKey], Rank: i)).ToList();
            items = [.. items.Select((item, i) => (item, i))
                .OrderBy(x => rank.FindIndex(r => JsonNode.DeepEquals(r.Key, x.item?[mergeKey])) is var r and >= 0 ? r : int.MaxValue)
                .ThenBy(x => x.i)
                .Select(x => x.item)];
        }

        return new JsonArray([.. items]);
    }
}
