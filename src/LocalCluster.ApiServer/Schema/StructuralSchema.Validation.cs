using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Schema;

/// <summary>OpenAPI value validation and transition rules of a structural schema.</summary>
internal static partial class StructuralSchema
{
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
}
