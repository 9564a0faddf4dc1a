using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Schema;

/// <summary>
/// The apiextensions-apiserver's handling of custom resources against a structural <c>openAPIV3Schema</c>:
/// pruning of unknown fields, defaulting, OpenAPI value validation (with the go-openapi messages the real server
/// returns) and the one CEL transition rule we evaluate, <c>self == oldSelf</c>.
/// </summary>
/// <remarks>
/// Not covered, on purpose: <c>oneOf</c>/<c>anyOf</c>/<c>not</c> (structural schemas only use them for value
/// validation, none of our CRDs do), <c>uniqueItems</c> (forbidden in structural schemas), list-type duplicate
/// detection, and every CEL rule other than <c>self == oldSelf</c>: those are accepted and not evaluated.
/// </remarks>
internal static partial class StructuralSchema
{
    /// <summary>ObjectMeta's fields: metadata is pruned to these, like decoding into metav1.ObjectMeta.</summary>
    private static readonly HashSet<string> ObjectMetaFields =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    private static JsonObject? Properties(JsonObject s) => s["properties"] as JsonObject;

    private static JsonObject? AdditionalProperties(JsonObject s) => s["additionalProperties"] as JsonObject;

    private static JsonObject? Items(JsonObject s) => s["items"] as JsonObject;

    private static bool Flag(JsonObject s, string name) => s[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static bool PreservesUnknown(JsonObject s) => Flag(s, "x-kubernetes-preserve-unknown-fields");

    private static bool Nullable(JsonObject s) => Flag(s, "nullable");

    private static string? Type(JsonObject s) => s["type"] is JsonValue v && v.TryGetValue<string>(out var t) ? t : null;

    private static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The field path of a validation walk, kept as segments and spelled out only for an error.</summary>
    private sealed class PathStack(string root)
    {
        private readonly List<(string? Key, int Index)> _segments = [];

        public bool IsRoot => root.Length == 0 && _segments.Count == 0;

        public string Text
        {
            get
            {
                var text = new System.Text.StringBuilder(root);
                foreach (var (key, index) in _segments)
                {
                    if (key is null)
                    {
                        text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
                    }
                    else
                    {
                        (text.Length == 0 ? text : text.Append('.')).Append(key);
                    }
                }

                return text.ToString();
            }
        }

        public string Child(string key) => StructuralSchema.Child(Text, key);

        public void Push(string key) => _segments.Add((key, -1));

        public void Push(int index) => _segments.Add((null, index));

        public void Pop() => _segments.RemoveAt(_segments.Count - 1);
    }

    // ---------------------------------------------------------------- pruning

    /// <summary>
    /// Removes fields the schema does not know (reported in <paramref name="unknown"/> as field paths) and null values
    /// of non-nullable fields (not reported: the real decoder drops them silently before defaulting).
    /// <c>apiVersion</c>, <c>kind</c> and <c>metadata</c> are always kept; metadata is pruned to ObjectMeta.
    /// </summary>
    public static void PruneRoot(JsonObject obj, JsonObject schema, List<string> unknown)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            foreach (var key in meta.Select(kv => kv.Key).Where(k => !ObjectMetaFields.Contains(k)).ToList())
            {
                meta.Remove(key);
                unknown.Add($"metadata.{key}");
            }
        }

        PruneObject(obj, schema, "", unknown, root: true);
    }

    private static void Prune(JsonNode? node, JsonObject schema, string path, List<string> unknown)
    {
        switch (node)
        {
            case JsonObject o:
                PruneObject(o, schema, path, unknown, root: Flag(schema, "x-kubernetes-embedded-resource"));
                break;
            case JsonArray a when Items(schema) is { } items:
                for (var i = 0; i < a.Count; i++)
                {
                    Prune(a[i], items, $"{path}[{i}]", unknown);
                }

                break;
        }
    }

    private static void PruneObject(JsonObject o, JsonObject schema, string path, List<string> unknown, bool root)
    {
        var properties = Properties(schema);
        var additional = AdditionalProperties(schema);
        var preserve = PreservesUnknown(schema);
        foreach (var (key, value) in o.ToList())
        {
            if (root && key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            var childSchema = properties?[key] as JsonObject ?? additional;
            if (childSchema is null)
            {
                // additionalProperties: true keeps the value unvalidated, like preserve-unknown-fields.
                if (!preserve && schema["additionalProperties"] is not JsonValue)
                {
                    o.Remove(key);
                    unknown.Add(Child(path, key));
                }

                continue;
            }

            if (value is null && !Nullable(childSchema))
            {
                o.Remove(key);
                continue;
            }

            Prune(value, childSchema, Child(path, key), unknown);
        }
    }

    // ---------------------------------------------------------------- defaulting

    // Per schema node, computed once: whether its subtree has defaults / validation rules, so walks skip the rest.
    // Schemas are never mutated once registered (a changed CRD brings new schema objects).
    private static readonly ConditionalWeakTable<JsonObject, StrongBox<bool>> DefaultsBelow = new();
    private static readonly ConditionalWeakTable<JsonObject, StrongBox<bool>> RulesBelow = new();

    private static bool SubtreeHasDefaults(JsonObject schema) => DefaultsBelow.GetValue(schema, s => new StrongBox<bool>(HasKey(s, "default"))).Value;

    private static bool SubtreeHasRules(JsonObject schema) => RulesBelow.GetValue(schema, s => new StrongBox<bool>(HasKey(s, "x-kubernetes-validations"))).Value;

    private static bool HasKey(JsonNode? schema, string name) => schema switch
    {
        // Looks everywhere (a property may be called "default"): a false positive only costs a walk.
        JsonObject o => o.ContainsKey(name) || o.Any(kv => HasKey(kv.Value, name)),
        JsonArray a => a.Any(n => HasKey(n, name)),
        _ => false,
    };

    /// <summary>Whether any node of the schema carries a <c>default</c> (so reads can skip the walk).</summary>
    public static bool HasDefaults(JsonNode? schema) => schema switch
    {
        JsonObject o => o.ContainsKey("default") || o.Any(kv => kv.Key is not ("enum" or "example" or "default") && HasDefaults(kv.Value)),
        JsonArray a => a.Any(HasDefaults),
        _ => false,
    };

    /// <summary>Applies <c>default</c>s top-down: absent fields (or null ones that are not nullable) of existing objects.</summary>
    public static void Default(JsonNode? node, JsonObject schema)
    {
        if (!SubtreeHasDefaults(schema))
        {
            return;
        }

        switch (node)
        {
            case JsonObject o:
            {
                if (Properties(schema) is { } properties)
                {
                    foreach (var (key, propNode) in properties)
                    {
                        if (propNode is JsonObject prop && prop["default"] is { } def
                            && (!o.TryGetPropertyValue(key, out var existing) || (existing is null && !Nullable(prop))))
                        {
                            o[key] = def.DeepClone();
                        }
                    }

                    // Defaulting a child changes the child, never this object's set of keys: no copy needed.
                    foreach (var (key, value) in o)
                    {
                        if (properties[key] is JsonObject prop && SubtreeHasDefaults(prop))
                        {
                            Default(value, prop);
                        }
                    }
                }
                else if (AdditionalProperties(schema) is { } additional && SubtreeHasDefaults(additional))
                {
                    foreach (var (_, value) in o)
                    {
                        Default(value, additional);
                    }
                }

                break;
            }

            case JsonArray a when Items(schema) is { } items:
                foreach (var item in a)
                {
                    Default(item, items);
                }

                break;
        }
    }

    // ---------------------------------------------------------------- helpers

    private static string JsonType(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    private static bool IsInteger(JsonValue v)
    {
        if (v.TryGetValue<long>(out _))
        {
            return true;
        }

        var text = v.ToJsonString();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            return true;
        }

        // 3.0 is an integer to the apiserver too (JSON numbers carry no int/float distinction).
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Math.Floor(d) == d && !double.IsInfinity(d);
    }

    private static long? Long(JsonObject s, string name) => s[name] is JsonValue v && AsDouble(v) is { } d ? (long)d : null;

    private static double? Double(JsonObject s, string name) => s[name] is JsonValue v ? AsDouble(v) : null;

    /// <summary>Numbers may be backed by JsonElement, long or double (YAML-decoded bodies); read them from their JSON text.</summary>
    private static double? AsDouble(JsonValue v) =>
        v.GetValueKind() == JsonValueKind.Number && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static string Num(double d) => d.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double-quoted string with backslash escapes, as Go's %q prints it (no HTML escaping of quotes).</summary>
    public static string Quote(string s) => JsonSerializer.Serialize(s, RelaxedOptions);

    private static readonly JsonSerializerOptions RelaxedOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A bad value as field.Error prints it: strings quoted, numbers and booleans bare.</summary>
    private static string Render(JsonNode node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Quote(v.GetValue<string>()),
        JsonValue v => v.ToJsonString(),
        _ => Quote(JsonType(node)),
    };
}
