using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Patching;

/// <summary>
/// A set of field paths, as structured-merge-diff's <c>fieldpath.Set</c>: a trie of path elements whose nodes may be
/// members themselves. Path elements are kept in their FieldsV1 spelling: <c>f:name</c> (map key), <c>k:{"type":"Ready"}</c>
/// (associative-list item by its keys), <c>v:"x"</c> (set item) and <c>i:0</c> (list index).
/// </summary>
internal sealed class FieldSet
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly SortedDictionary<string, FieldSet> NoChildren = new(ElementOrder.Instance);

    // Made on first child: most nodes are leaves, and a write builds and compares several sets.
    private SortedDictionary<string, FieldSet>? _childrenOrNull;

    private SortedDictionary<string, FieldSet> ChildMap => _childrenOrNull ?? NoChildren;

    /// <summary>Whether the path leading to this node is itself in the set (FieldsV1 <c>".": {}</c>, or a leaf <c>{}</c>).</summary>
    public bool Member { get; private set; }

    public IReadOnlyDictionary<string, FieldSet> Children => ChildMap;

    public bool IsEmpty => !Member && ChildMap.Count == 0;

    /// <summary>Whether some path is a member of both sets (else <see cref="Difference"/> would remove nothing).</summary>
    public bool Overlaps(FieldSet other)
    {
        if (Member && other.Member)
        {
            return true;
        }

        var (small, large) = ChildMap.Count <= other.ChildMap.Count ? (this, other) : (other, this);
        foreach (var (pe, child) in small.ChildMap)
        {
            if (large.ChildMap.TryGetValue(pe, out var o) && child.Overlaps(o))
            {
                return true;
            }
        }

        return false;
    }

    public static string Field(string name) => "f:" + name;

    public static string Value(JsonNode? value) => "v:" + Json(value);

    public static string Key(JsonObject keys) => "k:" + Json(keys);

    public static string Json(JsonNode? node) => node is null ? "null" : node.ToJsonString(Compact);

    /// <summary>Adds a path (a sequence of elements) as a member.</summary>
    public void Insert(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var pe in path)
        {
            node = node.Child(pe);
        }

        node.Member = true;
    }

    public bool Contains(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var pe in path)
        {
            if (!node.ChildMap.TryGetValue(pe, out var next))
            {
                return false;
            }

            node = next;
        }

        return node.Member;
    }

    private FieldSet Child(string pe)
    {
        _childrenOrNull ??= new SortedDictionary<string, FieldSet>(ElementOrder.Instance);
        if (!_childrenOrNull.TryGetValue(pe, out var c))
        {
            c = new FieldSet();
            _childrenOrNull[pe] = c;
        }

        return c;
    }

    private void SetChild(string pe, FieldSet child)
    {
        _childrenOrNull ??= new SortedDictionary<string, FieldSet>(ElementOrder.Instance);
        _childrenOrNull[pe] = child;
    }

    /// <summary>Every member path, depth first.</summary>
    public IEnumerable<List<string>> Paths()
    {
        var stack = new List<string>();
        return Walk(this, stack);

        static IEnumerable<List<string>> Walk(FieldSet node, List<string> prefix)
        {
            if (node.Member)
            {
                yield return [.. prefix];
            }

            foreach (var (pe, child) in node.ChildMap)
            {
                prefix.Add(pe);
                foreach (var p in Walk(child, prefix))
                {
                    yield return p;
                }

                prefix.RemoveAt(prefix.Count - 1);
            }
        }
    }

    public FieldSet Clone()
    {
        var copy = new FieldSet { Member = Member };
        foreach (var (pe, child) in ChildMap)
        {
            copy.SetChild(pe, child.Clone());
        }

        return copy;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        result.UnionWith(other);
        return result;
    }

    private void UnionWith(FieldSet other)
    {
        Member |= other.Member;
        foreach (var (pe, child) in other.ChildMap)
        {
            Child(pe).UnionWith(child);
        }
    }

    /// <summary>Members of this set that are not members of <paramref name="other"/> (not recursive, as fieldpath.Set.Difference).</summary>
    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet { Member = Member && !other.Member };
        foreach (var (pe, child) in ChildMap)
        {
            var d = other.ChildMap.TryGetValue(pe, out var o) ? child.Difference(o) : child.Clone();
            if (!d.IsEmpty)
            {
                result.SetChild(pe, d);
            }
        }

        return result;
    }

    /// <summary>Members of this set that are also members of <paramref name="other"/>.</summary>
    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet { Member = Member && other.Member };
        foreach (var (pe, child) in ChildMap)
        {
            if (other.ChildMap.TryGetValue(pe, out var o))
            {
                var i = child.Intersection(o);
                if (!i.IsEmpty)
                {
                    result.SetChild(pe, i);
                }
            }
        }

        return result;
    }

    /// <summary>This set without the subtree at <paramref name="pe"/> (used to strip server-owned and reset fields).</summary>
    public void RemoveSubtree(params string[] path)
    {
        var node = this;
        for (var i = 0; i < path.Length - 1; i++)
        {
            if (!node.ChildMap.TryGetValue(path[i], out node!))
            {
                return;
            }
        }

        node._childrenOrNull?.Remove(path[^1]);
    }

    /// <summary>Removes only the member mark at a path, keeping what is below it.</summary>
    public void RemoveMember(params string[] path)
    {
        var node = this;
        foreach (var pe in path)
        {
            if (!node.ChildMap.TryGetValue(pe, out node!))
            {
                return;
            }
        }

        node.Member = false;
    }

    /// <summary>Keeps only the subtree at a top-level element.</summary>
    public FieldSet Only(string pe)
    {
        var result = new FieldSet();
        if (ChildMap.TryGetValue(pe, out var c))
        {
            result.SetChild(pe, c.Clone());
        }

        return result;
    }

    public static FieldSet FromFieldsV1(JsonNode? node)
    {
        var set = new FieldSet();
        if (node is JsonObject o)
        {
            Read(set, o);
        }

        set.Member = false;
        return set;

        static void Read(FieldSet target, JsonObject o)
        {
            if (o.Count == 0)
            {
                target.Member = true;
                return;
            }

            foreach (var (key, value) in o)
            {
                if (key == ".")
                {
                    target.Member = true;
                    continue;
                }

                var child = target.Child(key);
                if (value is JsonObject vo)
                {
                    Read(child, vo);
                }
                else
                {
                    child.Member = true;
                }
            }
        }
    }

    /// <summary>
    /// Whether the set a FieldsV1 object encodes overlaps <paramref name="set"/> (<see cref="Overlaps"/> of its
    /// <see cref="FromFieldsV1"/>), looking up only the path elements of <paramref name="set"/>: a write's changes
    /// are small next to the entries of a big object, and the parts of those nobody looks into stay unparsed.
    /// </summary>
    public static bool OverlapsFieldsV1(JsonObject fieldsV1, FieldSet set)
    {
        // The root is never a member.
        return ChildrenOverlap(fieldsV1, set);

        static bool ChildrenOverlap(JsonObject o, FieldSet set)
        {
            foreach (var (pe, child) in set.ChildMap)
            {
                if (o.TryGetPropertyValue(pe, out var value) && NodeOverlaps(value, child))
                {
                    return true;
                }
            }

            return false;
        }

        static bool NodeOverlaps(JsonNode? value, FieldSet set)
        {
            // As FromFieldsV1 reads a node: a non-object or an empty object is a member leaf, a "." key marks a member.
            if (value is not JsonObject o || o.Count == 0)
            {
                return set.Member;
            }

            return (set.Member && o.ContainsKey(".")) || ChildrenOverlap(o, set);
        }
    }

    public JsonObject ToFieldsV1()
    {
        var o = new JsonObject();
        if (Member && ChildMap.Count > 0)
        {
            o["."] = new JsonObject();
        }

        foreach (var (pe, child) in ChildMap)
        {
            o[pe] = child.ToFieldsV1();
        }

        return o;
    }

    /// <summary>A path as the real server prints it in conflicts: <c>.spec.containers[name="app"].image</c>.</summary>
    public static string Render(IReadOnlyList<string> path)
    {
        var sb = new StringBuilder();
        foreach (var pe in path)
        {
            var body = pe[2..];
            switch (pe[0])
            {
                case 'f':
                    sb.Append('.').Append(body);
                    break;
                case 'k':
                    var keys = JsonNode.Parse(body) as JsonObject ?? [];
                    sb.Append('[').Append(string.Join(",", keys.Select(kv => $"{kv.Key}={Json(kv.Value)}"))).Append(']');
                    break;
                case 'v':
                    sb.Append("[=").Append(body).Append(']');
                    break;
                default:
                    sb.Append('[').Append(body).Append(']');
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Path elements order as structured-merge-diff sorts them: field names, then keys, values, indexes.</summary>
    private sealed class ElementOrder : IComparer<string>
    {
        public static readonly ElementOrder Instance = new();

        private static int Rank(char c) => c switch { 'f' => 0, 'k' => 1, 'v' => 2, 'i' => 3, _ => 4 };

        public int Compare(string? x, string? y)
        {
            if (x is null || y is null)
            {
                return string.CompareOrdinal(x, y);
            }

            var r = Rank(x[0]).CompareTo(Rank(y[0]));
            if (r != 0)
            {
                return r;
            }

            if (x[0] == 'i' && int.TryParse(x.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var a)
                && int.TryParse(y.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                return a.CompareTo(b);
            }

            return string.CompareOrdinal(x, y);
        }
    }
}
