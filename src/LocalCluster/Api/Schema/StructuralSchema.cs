using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.Api.Http;

namespace Vers.LocalCluster.Api.Schema;

/// <summary>How the server treats unknown fields in a write (the <c>fieldValidation</c> query parameter).</summary>
internal enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}

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

    // ---------------------------------------------------------------- validation

    /// <summary>Validates a value against its schema node, appending one error per violation (all are collected).</summary>
    public static void Validate(JsonNode? value, JsonObject schema, string path, List<FieldError> errors) =>
        Validate(value, schema, new PathStack(path), errors);

    private static void Validate(JsonNode? value, JsonObject schema, PathStack at, List<FieldError> errors)
    {
        if (value is null)
        {
            if (!Nullable(schema) && Type(schema) is { } expected)
            {
                errors.Add(new FieldError("FieldValueTypeInvalid", at.Text, $"{at.Text} in body must be of type {expected}: \"null\"", "\"null\""));
            }

            return;
        }

        var actual = JsonType(value);
        if (Flag(schema, "x-kubernetes-int-or-string"))
        {
            if (actual is not ("integer" or "string"))
            {
                errors.Add(new FieldError("FieldValueTypeInvalid", at.Text, $"{at.Text} in body must be of type integer,string: \"{actual}\"", $"\"{actual}\""));
                return;
            }
        }
        else if (Type(schema) is { } type && !(type == actual || (type == "number" && actual == "integer")))
        {
            errors.Add(new FieldError("FieldValueTypeInvalid", at.Text, $"{at.Text} in body must be of type {type}: \"{actual}\"", $"\"{actual}\""));
            return;
        }

        if (schema["enum"] is JsonArray allowed && !Contains(allowed, value))
        {
            errors.Add(new FieldError("FieldValueNotSupported", at.Text,
                "supported values: " + string.Join(", ", allowed.Select(a => a is JsonValue av && av.TryGetValue<string>(out var s) ? Quote(s) : a?.ToJsonString() ?? "null")),
                Render(value)));
        }

        switch (value)
        {
            case JsonValue v when actual == "string":
                ValidateString(v.GetValue<string>(), schema, at, errors);
                break;
            case JsonValue v when actual is "integer" or "number":
                ValidateNumber(v, schema, at, errors);
                break;
            case JsonArray a:
                ValidateArray(a, schema, at, errors);
                break;
            case JsonObject o:
                ValidateObject(o, schema, at, errors);
                break;
        }

        if (schema["allOf"] is JsonArray allOf)
        {
            foreach (var sub in allOf.OfType<JsonObject>())
            {
                Validate(value, sub, at, errors);
            }
        }
    }

    // A loop, not Any(lambda): the lambda's closure over the value would be allocated on every Validate call.
    private static bool Contains(JsonArray allowed, JsonNode value)
    {
        foreach (var a in allowed)
        {
            if (JsonNode.DeepEquals(a, value))
            {
                return true;
            }
        }

        return false;
    }

    private static void ValidateString(string s, JsonObject schema, PathStack at, List<FieldError> errors)
    {
        if (Long(schema, "maxLength") is { } max && s.Length > max)
        {
            errors.Add(new FieldError("FieldValueTooLong", at.Text, $"may not be more than {max} bytes", Quote(s)));
        }

        if (Long(schema, "minLength") is { } min && s.Length < min)
        {
            errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body should be at least {min} chars long", Quote(s)));
        }

        if (schema["pattern"] is JsonValue p && p.TryGetValue<string>(out var pattern) && !Matches(pattern, s))
        {
            errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body should match '{pattern}'", Quote(s)));
        }

        // Formats are checked leniently, like the apiserver: only the ones it knows, unknown ones pass.
        if (schema["format"] is JsonValue f && f.TryGetValue<string>(out var format) && format == "date-time"
            && !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _))
        {
            errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body must be of type date-time: {Quote(s)}", Quote(s)));
        }
    }

    private static bool Matches(string pattern, string s)
    {
        try
        {
            return Regex.IsMatch(s, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            // A pattern .NET cannot compile (RE2-only syntax): accept, as an unknown format would be.
            return true;
        }
    }

    private static void ValidateNumber(JsonValue v, JsonObject schema, PathStack at, List<FieldError> errors)
    {
        var d = AsDouble(v) ?? 0;
        var rendered = Render(v);
        if (Double(schema, "minimum") is { } min)
        {
            var exclusive = Flag(schema, "exclusiveMinimum");
            if (exclusive ? d <= min : d < min)
            {
                errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body should be greater than {(exclusive ? "" : "or equal to ")}{Num(min)}", rendered));
            }
        }

        if (Double(schema, "maximum") is { } max)
        {
            var exclusive = Flag(schema, "exclusiveMaximum");
            if (exclusive ? d >= max : d > max)
            {
                errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body should be less than {(exclusive ? "" : "or equal to ")}{Num(max)}", rendered));
            }
        }

        var format = schema["format"] is JsonValue f && f.TryGetValue<string>(out var fs) ? fs : null;
        if ((format == "int32" && (d < int.MinValue || d > int.MaxValue)) || (format == "int64" && (d < long.MinValue || d > long.MaxValue)))
        {
            errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body must be of type {format}: {Quote(rendered)}", rendered));
        }
    }

    private static void ValidateArray(JsonArray a, JsonObject schema, PathStack at, List<FieldError> errors)
    {
        if (Long(schema, "maxItems") is { } max && a.Count > max)
        {
            errors.Add(new FieldError("FieldValueTooMany", at.Text, $"{a.Count}: must have at most {max} items"));
        }

        if (Long(schema, "minItems") is { } min && a.Count < min)
        {
            errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body should have at least {min} items", "\"\""));
        }

        if (Items(schema) is { } items)
        {
            for (var i = 0; i < a.Count; i++)
            {
                at.Push(i);
                Validate(a[i], items, at, errors);
                at.Pop();
            }
        }
    }

    private static void ValidateObject(JsonObject o, JsonObject schema, PathStack at, List<FieldError> errors)
    {
        if (schema["required"] is JsonArray required)
        {
            foreach (var r in required.Select(r => r?.GetValue<string>()).OfType<string>())
            {
                if (!o.ContainsKey(r))
                {
                    errors.Add(new FieldError("FieldValueRequired", at.Child(r), ""));
                }
            }
        }

        if (Long(schema, "maxProperties") is { } max && o.Count > max)
        {
            errors.Add(new FieldError("FieldValueTooMany", at.Text, $"{o.Count}: must have at most {max} items"));
        }

        if (Long(schema, "minProperties") is { } min && o.Count < min)
        {
            errors.Add(new FieldError("FieldValueInvalid", at.Text, $"{at.Text} in body should have at least {min} properties", "\"\""));
        }

        var properties = Properties(schema);
        var additional = AdditionalProperties(schema);
        foreach (var (key, value) in o)
        {
            if (at.IsRoot && key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            if ((properties?[key] as JsonObject ?? additional) is { } child)
            {
                at.Push(key);
                Validate(value, child, at, errors);
                at.Pop();
            }
        }
    }

    // ---------------------------------------------------------------- transition rules

    /// <summary>
    /// Evaluates <c>x-kubernetes-validations</c> transition rules of the form <c>self == oldSelf</c> wherever both the
    /// old and the new object have a value (deep JSON equality). Other rules are accepted but not evaluated.
    /// </summary>
    public static void ValidateTransitions(JsonNode? current, JsonNode? old, JsonObject schema, string path, List<FieldError> errors)
    {
        if (current is null || old is null || !SubtreeHasRules(schema))
        {
            return;
        }

        if (schema["x-kubernetes-validations"] is JsonArray rules)
        {
            foreach (var rule in rules.OfType<JsonObject>())
            {
                var ruleText = rule["rule"] is JsonValue rv && rv.TryGetValue<string>(out var r) ? r : "";
                var text = WhitespaceRegex().Replace(ruleText, "");
                if (text is "self==oldSelf" or "oldSelf==self" && !JsonNode.DeepEquals(current, old))
                {
                    var message = rule["message"] is JsonValue mv && mv.TryGetValue<string>(out var m) && m.Length > 0 ? m : $"failed rule: {ruleText}";
                    errors.Add(new FieldError("FieldValueInvalid", path.Length == 0 ? "<nil>" : path, message, Quote(Type(schema) ?? JsonType(current))));
                }
            }
        }

        if (current is JsonObject co && old is JsonObject oo)
        {
            var properties = Properties(schema);
            var additional = AdditionalProperties(schema);
            foreach (var (key, value) in co)
            {
                if ((properties?[key] as JsonObject ?? additional) is { } child && oo.TryGetPropertyValue(key, out var oldValue))
                {
                    ValidateTransitions(value, oldValue, child, Child(path, key), errors);
                }
            }
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();

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
