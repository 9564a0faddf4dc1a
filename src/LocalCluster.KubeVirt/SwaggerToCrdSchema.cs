using System.Text.Json.Nodes;
using k8s.Models;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Turns a Swagger-2.0 definition from the KubeVirt/CDI definitions file into a structural CRD
/// <c>openAPIV3Schema</c>: <c>$ref</c>s are inlined, every node gets a type, and the shapes the API server's
/// structural-schema rules reject are mapped the way KubeVirt's own CRD generator maps them.
/// <c>default</c>s are dropped on purpose: the API server would apply them and change the objects the
/// operator writes (e.g. <c>status: {}</c>), which the real KubeVirt CRDs do not do.
/// </summary>
internal static class SwaggerToCrdSchema
{
    private const string RefPrefix = "#/definitions/";

    private static readonly HashSet<string> QuantityDefinitions =
        ["k8s.io.apimachinery.pkg.api.resource.Quantity", "cdi.resource.Quantity"];

    private static readonly HashSet<string> ObjectMetaDefinitions =
        ["k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "cdi.v1.ObjectMeta"];

    private static readonly HashSet<string> FreeFormDefinitions =
        ["k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1", "cdi.v1.FieldsV1"];

    public static V1JSONSchemaProps ConvertRoot(JsonObject definitions, string rootDefinition, bool includeDescriptions = true)
    {
        var converter = new Converter(definitions, includeDescriptions);
        return converter.Convert(definitions[rootDefinition]!.AsObject(), [rootDefinition], isRoot: true);
    }

    /// <summary>Quantity and IntOrString: what controller-gen emits for resource.Quantity.</summary>
    public static V1JSONSchemaProps IntOrString(string? pattern = null) => new()
    {
        AnyOf = [new V1JSONSchemaProps { Type = "integer" }, new V1JSONSchemaProps { Type = "string" }],
        Pattern = pattern,
        XKubernetesIntOrString = true,
    };

    private const string QuantityPattern =
        @"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

    private sealed class Converter(JsonObject definitions, bool includeDescriptions)
    {
        public V1JSONSchemaProps Convert(JsonObject node, List<string> stack, bool isRoot = false)
        {
            var description = includeDescriptions ? (string?)node["description"] : null;

            if (node["$ref"] is JsonValue refValue)
            {
                var target = ((string)refValue!)[RefPrefix.Length..];
                var converted = ConvertReference(target, stack);
                if (description is not null)
                {
                    converted.Description = description;
                }

                return converted;
            }

            var props = new V1JSONSchemaProps { Description = description };
            switch (node["type"])
            {
                case JsonArray types:
                    ApplyTypeList(props, [.. types.Select(t => (string)t!)]);
                    break;
                case JsonValue type:
                    props.Type = (string)type!;
                    break;
                default:
                    // Untyped in upstream: keep whatever the client sends.
                    props.XKubernetesPreserveUnknownFields = true;
                    break;
            }

            if (node["format"] is JsonValue format && props.Type is "integer" or "number" or "string")
            {
                props.Format = (string)format!;
            }

            if (node["nullable"] is JsonValue nullable && (bool)nullable!)
            {
                props.Nullable = true;
            }

            if (node["enum"] is JsonArray values)
            {
                props.EnumProperty = [.. values.Select(v => v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : (object)v!.ToJsonString())];
            }

            if (node["properties"] is JsonObject properties)
            {
                props.Type ??= "object";
                props.Properties = new Dictionary<string, V1JSONSchemaProps>();
                foreach (var (name, child) in properties)
                {
                    props.Properties[name] = isRoot && name == "metadata"
                        ? new V1JSONSchemaProps { Type = "object" } // the API server owns root metadata's schema
                        : Convert(child!.AsObject(), stack);
                }

                if (node["required"] is JsonArray required && required.Count > 0)
                {
                    props.Required = [.. required.Select(r => (string)r!)];
                }
            }
            else if (node["additionalProperties"] is JsonObject additional)
            {
                props.AdditionalProperties = Convert(additional, stack);
            }

            if (node["items"] is JsonObject items)
            {
                props.Items = Convert(items, stack);
            }

            if (node["x-kubernetes-list-type"] is JsonValue listType)
            {
                props.XKubernetesListType = (string)listType!;
            }

            if (node["x-kubernetes-list-map-keys"] is JsonArray mapKeys)
            {
                props.XKubernetesListMapKeys = [.. mapKeys.Select(k => (string)k!)];
            }

            if (node["x-kubernetes-map-type"] is JsonValue mapType)
            {
                props.XKubernetesMapType = (string)mapType!;
            }

            return props;
        }

        private V1JSONSchemaProps ConvertReference(string target, List<string> stack)
        {
            if (QuantityDefinitions.Contains(target))
            {
                return IntOrString(QuantityPattern);
            }
            // Nested ObjectMeta (templates, embedded VM copies): the API server does not know its schema
            // below the root, so keep it whole rather than prune it.
            if (ObjectMetaDefinitions.Contains(target) || FreeFormDefinitions.Contains(target))
            {
                return new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true };
            }
            // A recursive definition cannot be inlined; structural schemas allow an opaque object there.
            if (stack.Contains(target))
            {
                return new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true };
            }

            var definition = definitions[target]?.AsObject() ?? throw new KeyNotFoundException($"missing definition {target}");
            stack.Add(target);
            try
            {
                return Convert(definition, stack);
            }
            finally
            {
                stack.RemoveAt(stack.Count - 1);
            }
        }

        private static void ApplyTypeList(V1JSONSchemaProps props, List<string> types)
        {
            var nonNull = types.Where(t => t != "null").ToList();
            if (nonNull.Count == 1)
            {
                props.Type = nonNull[0];
                props.Nullable = types.Contains("null") ? true : null;
                return;
            }
            // ["string","number"] (IntOrString ports) and ["string","integer","number"] (Quantity).
            props.AnyOf = [new V1JSONSchemaProps { Type = "integer" }, new V1JSONSchemaProps { Type = "string" }];
            props.XKubernetesIntOrString = true;
        }
    }
}
