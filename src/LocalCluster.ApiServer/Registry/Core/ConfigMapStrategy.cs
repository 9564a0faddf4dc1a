using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry.Core;

/// <summary>
/// pkg/registry/core/configmap/strategy.go with pkg/apis/core/validation ValidateConfigMap (config keys, no key in
/// both data and binaryData, at most 1 MiB of values) and ValidateConfigMapUpdate (an immutable ConfigMap keeps its
/// data, binaryData and immutable).
/// </summary>
internal sealed partial class ConfigMapStrategy() : TypedStrategy(typeof(V1ConfigMap))
{
    /// <summary>core.MaxSecretSize, which bounds ConfigMaps too.</summary>
    public const int MaxSize = 1 * 1024 * 1024;

    public const string ImmutableMessage = "field is immutable when `immutable` is set";

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateConfigMap(obj);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        var errors = new List<FieldError>();
        if (IsImmutable(old))
        {
            ImmutableUpdate(updated, old, ["data", "binaryData"], errors);
        }

        errors.AddRange(ValidateConfigMap(updated));
        return errors;
    }

    private static List<FieldError> ValidateConfigMap(JsonObject cm)
    {
        var errors = ObjectMetaRules.ValidateCore(cm);
        long size = 0;
        var binary = cm["binaryData"] as JsonObject;
        if (cm["data"] is JsonObject data)
        {
            foreach (var (key, value) in data)
            {
                errors.AddRange(ConfigKey(key).Select(m => ObjectMetaRules.Invalid($"data[{key}]", key, m)));
                if (binary?.ContainsKey(key) == true)
                {
                    errors.Add(ObjectMetaRules.Invalid($"data[{key}]", key, "duplicate of key present in binaryData"));
                }

                size += System.Text.Encoding.UTF8.GetByteCount(value?.ToString() ?? "");
            }
        }

        foreach (var (key, value) in binary ?? [])
        {
            errors.AddRange(ConfigKey(key).Select(m => ObjectMetaRules.Invalid($"binaryData[{key}]", key, m)));
            size += DecodedLength(value?.ToString() ?? "");
        }

        if (size > MaxSize)
        {
            // field.NewPath("") prints as "[]": the error is about the whole object.
            errors.Add(new FieldError("FieldValueTooLong", "[]", $"must have at most {MaxSize} bytes"));
        }

        return errors;
    }

    /// <summary>What ValidateConfigMapUpdate and ValidateSecretUpdate forbid once the old object is immutable.</summary>
    public static void ImmutableUpdate(JsonObject updated, JsonObject old, string[] fields, List<FieldError> errors)
    {
        if (!IsImmutable(updated))
        {
            errors.Add(new FieldError("FieldValueForbidden", "immutable", ImmutableMessage));
        }

        foreach (var field in fields)
        {
            if (!JsonNode.DeepEquals(Empty(updated[field]), Empty(old[field])))
            {
                errors.Add(new FieldError("FieldValueForbidden", field, ImmutableMessage));
            }
        }

        // reflect.DeepEqual tells a nil map from an empty one, but both decode from an absent or empty field alike.
        static JsonNode? Empty(JsonNode? n) => n is JsonObject { Count: 0 } ? null : n;
    }

    public static bool IsImmutable(JsonObject obj) => obj["immutable"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>The byte length of a base64 value (already checked by decoding).</summary>
    public static long DecodedLength(string base64)
    {
        var chars = base64.Count(c => c is not ('\r' or '\n' or '='));
        return chars * 3L / 4;
    }

    /// <summary>validation.IsConfigMapKey: ConfigMap and Secret keys become file names.</summary>
    public static IEnumerable<string> ConfigKey(string key)
    {
        if (key.Length > 253)
        {
            yield return "must be no more than 253 characters";
        }

        if (!ConfigKeyPattern().IsMatch(key))
        {
            yield return QualifiedNames.RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name");
        }

        if (key is "." or "..")
        {
            yield return $"must not be '{key}'";
        }
        else if (key.StartsWith("..", StringComparison.Ordinal))
        {
            yield return "must not start with '..'";
        }
    }

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKeyPattern();
}
