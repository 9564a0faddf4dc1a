using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using k8s;

using Vers.Kube;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>One schema violation: the JSON pointer into the validated object and what is wrong there.</summary>
public sealed record SchemaError(string Path, string Message)
{
    public override string ToString() => $"{(Path.Length == 0 ? "/" : Path)}: {Message}";
}

public sealed record ValidationResult(IReadOnlyList<SchemaError> Errors)
{
    public bool IsValid => Errors.Count == 0;

    public override string ToString() => IsValid ? "valid" : string.Join(Environment.NewLine, Errors);
}

/// <summary>
/// Validates KubeVirt/CDI objects against the original upstream definitions (not the CRD schemas, which
/// prune rather than reject). Unlike the API server, an unknown field is an error wherever the upstream
/// definition lists properties: that is what catches a misspelt field the operator writes.
/// Also covers the CSI <c>VolumeSnapshot</c>, using the hand-written CRD schema.
/// </summary>
public static class KubeVirtSchemaValidator
{
    private const string VolumeSnapshotApiVersion = "snapshot.storage.k8s.io/v1";
    private const string VolumeSnapshotDefinition = "x-vers.VolumeSnapshot";

    private static readonly Lazy<JsonObject> LazyDefs = new(BuildDefs);
    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    public static ValidationResult Validate(JsonNode obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var apiVersion = (obj["apiVersion"] as JsonValue)?.TryGetValue<string>(out var av) == true ? av : null;
        var kind = (obj["kind"] as JsonValue)?.TryGetValue<string>(out var k) == true ? k : null;
        string? definition = apiVersion == VolumeSnapshotApiVersion && kind == "VolumeSnapshot"
            ? VolumeSnapshotDefinition
            : apiVersion is null || kind is null ? null : KubeVirtDefinitions.FindKind(apiVersion, kind)?.DefinitionName;
        if (definition is null)
        {
            return new ValidationResult([new SchemaError("", $"no KubeVirt/CDI schema for apiVersion '{apiVersion}' kind '{kind}'")]);
        }

        return ValidateAgainst(definition, obj);
    }

    /// <summary>Validates against a named definition, e.g. <c>v1beta1.VirtualMachineSnapshotContentSpec</c>.</summary>
    public static ValidationResult ValidateAgainst(string definition, JsonNode obj)
    {
        var schema = Schemas.GetOrAdd(definition, BuildSchema);
        using var document = JsonDocument.Parse(obj.ToJsonString());
        var results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return new ValidationResult([]);
        }

        var errors = new List<SchemaError>();
        foreach (var node in Flatten(results))
        {
            if (node.Errors is null)
            {
                continue;
            }

            var path = node.InstanceLocation.ToString();
            var unknownField = node.EvaluationPath.ToString().EndsWith("/additionalProperties", StringComparison.Ordinal);
            foreach (var (_, message) in node.Errors)
            {
                errors.Add(new SchemaError(path, unknownField ? "unknown field (not in the upstream schema)" : message));
            }
        }

        if (errors.Count == 0)
        {
            errors.Add(new SchemaError("", "invalid"));
        }

        return new ValidationResult([.. errors.Distinct()]);
    }

    /// <summary>Validates an object given as a model (e.g. a <c>GenericObject</c>), serialised with <see cref="KubernetesJson"/>.</summary>
    public static ValidationResult Validate(object model) =>
        Validate(JsonNode.Parse(KubernetesJson.Serialize(model))!);

    private static IEnumerable<EvaluationResults> Flatten(EvaluationResults results)
    {
        yield return results;
        if (results.Details is null)
        {
            yield break;
        }

        foreach (var child in results.Details)
        {
            foreach (var nested in Flatten(child))
            {
                yield return nested;
            }
        }
    }

    private static JsonSchema BuildSchema(string definition)
    {
        if (!LazyDefs.Value.ContainsKey(definition))
        {
            throw new KeyNotFoundException($"definition {definition} is not in the KubeVirt definitions file");
        }

        var document = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"https://vers.local/kubevirt/{definition}.json",
            ["$ref"] = $"#/$defs/{definition}",
            ["$defs"] = LazyDefs.Value.DeepClone(),
        };
        using var parsed = JsonDocument.Parse(document.ToJsonString());
        // A registry per schema: each document carries its own $id and must not collide in the global one.
        return JsonSchema.Build(parsed.RootElement.Clone(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    private static JsonObject BuildDefs()
    {
        var defs = new JsonObject();
        foreach (var (name, node) in KubeVirtDefinitions.Definitions)
        {
            defs[name] = Convert(node!);
        }

        var volumeSnapshotSchema = JsonNode.Parse(KubernetesJson.Serialize(
            KubeVirtCrds.VolumeSnapshot().Spec.Versions[0].Schema.OpenAPIV3Schema))!;
        defs[VolumeSnapshotDefinition] = Convert(volumeSnapshotSchema);
        return defs;
    }

    /// <summary>Swagger 2.0 / CRD schema node → JSON Schema 2020-12 node.</summary>
    private static JsonNode Convert(JsonNode node)
    {
        if (node is JsonArray array)
        {
            return new JsonArray([.. array.Select(n => n is null ? null : Convert(n))]);
        }

        if (node is not JsonObject source)
        {
            return node.DeepClone();
        }

        if (source["$ref"] is JsonValue reference)
        {
            return new JsonObject { ["$ref"] = ((string)reference!).Replace("#/definitions/", "#/$defs/", StringComparison.Ordinal) };
        }

        var target = new JsonObject();
        foreach (var (key, value) in source)
        {
            // Annotations and Kubernetes extensions carry no validation here; formats are deliberately lenient.
            if (key is "description" or "default" or "format" or "nullable" or "example" || key.StartsWith("x-", StringComparison.Ordinal))
            {
                continue;
            }

            if (value is null)
            {
                continue;
            }

            target[key] = key switch
            {
                "properties" => new JsonObject(value.AsObject().Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Convert(p.Value!)))),
                "enum" or "required" or "type" => value.DeepClone(),
                _ => Convert(value),
            };
        }

        if (source["nullable"] is JsonValue nullable && (bool)nullable! && target["type"] is JsonValue type)
        {
            target["type"] = new JsonArray((string)type!, "null");
        }

        if (source["properties"] is JsonObject && !source.ContainsKey("additionalProperties"))
        {
            target["additionalProperties"] = false;
        }

        return target;
    }
}
