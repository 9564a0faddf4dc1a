using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Patching;

/// <summary>What changed between two versions of an object, as structured-merge-diff's <c>typed.Comparison</c>.</summary>
internal sealed record Comparison(FieldSet Added, FieldSet Modified, FieldSet Removed)
{
    public bool IsEmpty => Added.IsEmpty && Modified.IsEmpty && Removed.IsEmpty;

    public FieldSet Changed => Added.Union(Modified);
}

/// <summary>
/// The value-level algorithms of server-side apply (structured-merge-diff): the field set of an applied configuration,
/// the merge of a configuration into the live object honouring list and map types, removal of fields a manager
/// stopped applying, and the comparison that attributes changes to managers.
/// </summary>
internal static class ServerSideApply
{
    /// <summary>
    /// Fields no manager owns: apiVersion, kind and the server-maintained metadata (fieldmanager's strip set).
    /// </summary>
    private static readonly HashSet<string> StrippedMetadata =
    [
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion",
        "deletionTimestamp", "deletionGracePeriodSeconds",
    ];

    private static bool Stripped(IReadOnlyList<string> path, string key) =>
        (path.Count == 0 && key is "apiVersion" or "kind")
        || (path.Count == 1 && path[0] == "f:metadata" && StrippedMetadata.Contains(key));

    // ---------------------------------------------------------------- field set of a configuration

    /// <summary>The set of fields a configuration specifies (<c>TypedValue.ToFieldSet</c>), without the stripped fields.</summary>
    public static FieldSet ToFieldSet(JsonObject config, FieldType type)
    {
        var set = new FieldSet();
        var path = new List<string>();
        VisitMap(config, type, path, set);
        return set;
    }

    private static void Visit(JsonNode? value, FieldType type, List<string> path, FieldSet set)
    {
        switch (value)
        {
            case JsonObject o when !type.AtomicMap:
                VisitMap(o, type, path, set);
                break;
            case JsonArray a when type.ListType != ListType.Atomic:
                var items = type.Items();
                foreach (var item in a)
                {
                    var pe = ItemElement(type, item);
                    if (pe is null)
                    {
                        // An item without its keys: the list is handled as a whole.
                        set.Insert(path);
                        return;
                    }

                    path.Add(pe);
                    if (type.ListType == ListType.Map)
                    {
                        Visit(item, items, path, set);
                    }

                    set.Insert(path);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            default:
                set.Insert(path);
                break;
        }
    }

    private static void VisitMap(JsonObject o, FieldType type, List<string> path, FieldSet set)
    {
        foreach (var (key, child) in o)
        {
            if (Stripped(path, key))
            {
                continue;
            }

            path.Add(FieldSet.Field(key));
            Visit(child, type.Field(key), path, set);
            if (child is null || child is JsonObject { Count: 0 } || !type.IsDeclared(key))
            {
                set.Insert(path);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private static string? ItemElement(FieldType type, JsonNode? item) => type.ListType switch
    {
        ListType.Set => FieldSet.Value(item),
        ListType.Map => type.KeyOf(item) is { } key ? FieldSet.Key(key) : null,
        _ => null,
    };

    // ---------------------------------------------------------------- merge

    /// <summary>Merges an applied configuration into the live object (<c>TypedValue.Merge</c>).</summary>
    public static JsonNode? Merge(JsonNode? live, JsonNode? config, FieldType type)
    {
        switch (config)
        {
            case JsonObject co when live is JsonObject lo && !type.AtomicMap:
            {
                var result = lo.DeepClone().AsObject();
                foreach (var (key, value) in co)
                {
                    if (value is null)
                    {
                        result.Remove(key);
                        continue;
                    }

                    var merged = Merge(result[key], value, type.Field(key));
                    result.Remove(key);
                    result[key] = merged;
                }

                return result;
            }

            case JsonArray ca when live is JsonArray la && type.ListType == ListType.Set:
            {
                var result = la.Select(i => i?.DeepClone()).ToList();
                foreach (var item in ca.Where(c => !result.Any(r => JsonNode.DeepEquals(r, c))))
                {
                    result.Add(item?.DeepClone());
                }

                return new JsonArray([.. result]);
            }

            case JsonArray ca when live is JsonArray la && type.ListType == ListType.Map && ca.All(i => type.KeyOf(i) is not null):
            {
                var items = type.Items();
                var result = la.Select(i => i?.DeepClone()).ToList();
                foreach (var item in ca)
                {
                    var key = type.KeyOf(item);
                    var index = result.FindIndex(r => JsonNode.DeepEquals(type.KeyOf(r), key));
                    if (index >= 0)
                    {
                        result[index] = Merge(result[index], item, items);
                    }
                    else
                    {
                        result.Add(item?.DeepClone());
                    }
                }

                return new JsonArray([.. result]);
            }

            default:
                return config?.DeepClone();
        }
    }

    // ---------------------------------------------------------------- removal

    /// <summary>Removes from <paramref name="obj"/> the values at the member paths of <paramref name="remove"/>.</summary>
    public static void RemoveFields(JsonNode? obj, FieldSet remove, FieldType type)
    {
        foreach (var (pe, child) in remove.Children)
        {
            switch (obj)
            {
                case JsonObject o when pe.StartsWith("f:", StringComparison.Ordinal):
                {
                    var key = pe[2..];
                    if (!o.ContainsKey(key))
                    {
                        continue;
                    }

                    if (child.Member)
                    {
                        o.Remove(key);
                    }
                    else
                    {
                        RemoveFields(o[key], child, type.Field(key));
                    }

                    break;
                }

                case JsonArray a when !pe.StartsWith("f:", StringComparison.Ordinal):
                {
                    var index = a.ToList().FindIndex(item => ItemElement(type, item) == pe);
                    if (index < 0)
                    {
                        continue;
                    }

                    if (child.Member)
                    {
                        a.RemoveAt(index);
                    }
                    else
                    {
                        RemoveFields(a[index], child, type.Items());
                    }

                    break;
                }
            }
        }
    }

    // ---------------------------------------------------------------- comparison

    /// <summary>
    /// Compares two versions of an object (<c>TypedValue.Compare</c>): leaves added, modified and removed, plus maps
    /// and list items that appeared or disappeared as a whole. The stripped fields are ignored, and so are the top-level
    /// fields <paramref name="rootKeys"/> (when given) does not accept: their subtrees are left out of the sets.
    /// </summary>
    public static Comparison Compare(JsonObject? live, JsonObject updated, FieldType type, Func<string, bool>? rootKeys = null)
    {
        var c = new Comparison(new FieldSet(), new FieldSet(), new FieldSet());
        Compare(live is not null, live, true, updated, type, [], c, root: true, rootKeys);
        return c;
    }

    private static void Compare(bool lHas, JsonNode? l, bool rHas, JsonNode? r, FieldType type, List<string> path, Comparison c, bool root = false, Func<string, bool>? rootKeys = null)
    {
        if (!lHas && !rHas)
        {
            return;
        }

        var lMap = lHas ? l as JsonObject : null;
        var rMap = rHas ? r as JsonObject : null;
        var isMap = !type.AtomicMap && (lMap is not null || !lHas || l is null) && (rMap is not null || !rHas || r is null) && (lMap is not null || rMap is not null);
        if (isMap && (root || (lMap?.Count ?? 0) + (rMap?.Count ?? 0) > 0))
        {
            MarkContainer(lHas && l is not null, rHas && r is not null, path, c, root);
            foreach (var key in (lMap?.Select(kv => kv.Key) ?? []).Union(rMap?.Select(kv => kv.Key) ?? []))
            {
                if (Stripped(path, key) || (root && rootKeys?.Invoke(key) == false))
                {
                    continue;
                }

                JsonNode? lc = null, rc = null;
                var lh = lMap?.TryGetPropertyValue(key, out lc) == true;
                var rh = rMap?.TryGetPropertyValue(key, out rc) == true;
                // metadata is walked, not compared whole: most of it is managedFields, which the walk skips (stripped),
                // and an equal subtree adds nothing either way.
                if (lh && rh && !(root && key == "metadata") && JsonNode.DeepEquals(lc, rc))
                {
                    // An unchanged subtree adds nothing to any of the sets: skip walking it.
                    continue;
                }

                path.Add(FieldSet.Field(key));
                Compare(lh, lc, rh, rc, type.Field(key), path, c);
                path.RemoveAt(path.Count - 1);
            }

            return;
        }

        var lList = lHas ? l as JsonArray : null;
        var rList = rHas ? r as JsonArray : null;
        var isList = type.ListType != ListType.Atomic && (lList is not null || !lHas) && (rList is not null || !rHas)
                     && (lList?.All(i => ItemElement(type, i) is not null) ?? true) && (rList?.All(i => ItemElement(type, i) is not null) ?? true);
        if (isList && (lList?.Count ?? 0) + (rList?.Count ?? 0) > 0)
        {
            var items = type.Items();
            var left = (lList ?? []).GroupBy(i => ItemElement(type, i)!).ToDictionary(g => g.Key, g => g.First());
            var right = (rList ?? []).GroupBy(i => ItemElement(type, i)!).ToDictionary(g => g.Key, g => g.First());
            foreach (var pe in left.Keys.Union(right.Keys))
            {
                var lh = left.TryGetValue(pe, out var li);
                var rh = right.TryGetValue(pe, out var ri);
                if (lh && rh && JsonNode.DeepEquals(li, ri))
                {
                    continue;
                }

                path.Add(pe);
                if (type.ListType == ListType.Map)
                {
                    MarkContainer(lh, rh, path, c, root: false);
                    if (li is JsonObject || ri is JsonObject)
                    {
                        CompareMapItem(lh, li as JsonObject, rh, ri as JsonObject, items, path, c);
                    }
                }
                else
                {
                    Leaf(lh, li, rh, ri, path, c);
                }

                path.RemoveAt(path.Count - 1);
            }

            return;
        }

        Leaf(lHas, l, rHas, r, path, c);
    }

    private static void CompareMapItem(bool lHas, JsonObject? l, bool rHas, JsonObject? r, FieldType type, List<string> path, Comparison c)
    {
        foreach (var key in (l?.Select(kv => kv.Key) ?? []).Union(r?.Select(kv => kv.Key) ?? []))
        {
            JsonNode? lc = null, rc = null;
            var lh = lHas && l?.TryGetPropertyValue(key, out lc) == true;
            var rh = rHas && r?.TryGetPropertyValue(key, out rc) == true;
            if (lh && rh && JsonNode.DeepEquals(lc, rc))
            {
                continue;
            }

            path.Add(FieldSet.Field(key));
            Compare(lh, lc, rh, rc, type.Field(key), path, c);
            path.RemoveAt(path.Count - 1);
        }
    }

    private static void MarkContainer(bool lHas, bool rHas, List<string> path, Comparison c, bool root)
    {
        if (root || (path.Count == 1 && path[0] == "f:metadata"))
        {
            return;
        }

        if (!lHas && rHas)
        {
            c.Added.Insert(path);
        }
        else if (lHas && !rHas)
        {
            c.Removed.Insert(path);
        }
    }

    private static void Leaf(bool lHas, JsonNode? l, bool rHas, JsonNode? r, List<string> path, Comparison c)
    {
        if (!lHas)
        {
            c.Added.Insert(path);
        }
        else if (!rHas)
        {
            c.Removed.Insert(path);
        }
        else if (!JsonNode.DeepEquals(l, r))
        {
            c.Modified.Insert(path);
        }
    }
}
