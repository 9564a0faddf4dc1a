using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using k8s;
using k8s.Models;

namespace Vers.Api.Crds;

/// <summary>
/// Builds the CustomResourceDefinitions of the vers.sh kinds from their C# types, so the schema
/// cannot drift from the code: `dotnet run --project src/Operator -- crds config/crds` writes them,
/// and a test fails when config/crds is stale.
/// </summary>
public static class CrdGenerator
{
    public static readonly IReadOnlyList<Type> EntityTypes = [typeof(Repository), typeof(Commit), typeof(Tag), typeof(RepositoryFork)];

    public static IReadOnlyList<V1CustomResourceDefinition> All() => EntityTypes.Select(Build).ToList();

    /// <summary>File name → YAML text, as written to config/crds.</summary>
    public static IReadOnlyDictionary<string, string> Render() =>
        All().ToDictionary(crd => $"{crd.Spec.Group}_{crd.Spec.Names.Plural}.yaml", crd => KubernetesYaml.Serialize(crd));

    public static void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (file, yaml) in Render())
        {
            File.WriteAllText(Path.Combine(directory, file), yaml);
        }
    }

    public static V1CustomResourceDefinition Build(Type entity)
    {
        var meta = entity.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{entity.Name} has no [KubernetesEntity]");
        var spec = entity.GetProperty("Spec")!;
        var status = entity.GetProperty("Status");
        var statusSubresource = status is not null && entity.GetCustomAttribute<NoStatusSubresourceAttribute>() is null;
        var root = new V1JSONSchemaProps
        {
            Type = "object",
            Description = entity.GetCustomAttribute<DescriptionAttribute>()?.Description,
            Required = spec.GetCustomAttribute<RequiredAttribute>() is null ? null : ["spec"],
            Properties = new Dictionary<string, V1JSONSchemaProps>
            {
                ["apiVersion"] = new() { Type = "string", Description = "APIVersion defines the versioned schema of this representation of an object." },
                ["kind"] = new() { Type = "string", Description = "Kind is a string value representing the REST resource this object represents." },
                ["metadata"] = new() { Type = "object", Description = "Standard object metadata." },
                ["spec"] = PropertySchema(spec),
            },
        };
        if (status is not null)
        {
            root.Properties["status"] = PropertySchema(status);
        }

        return new V1CustomResourceDefinition
        {
            ApiVersion = "apiextensions.k8s.io/v1",
            Kind = "CustomResourceDefinition",
            Metadata = new V1ObjectMeta
            {
                Name = $"{meta.PluralName}.{meta.Group}",
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = "vers" },
            },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = meta.Group,
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames
                {
                    Kind = meta.Kind,
                    ListKind = meta.Kind + "List",
                    Plural = meta.PluralName,
                    Singular = meta.Kind.ToLowerInvariant(),
                    ShortNames = entity.GetCustomAttribute<ShortNamesAttribute>()?.Names.ToList(),
                    Categories = entity.GetCustomAttribute<CategoriesAttribute>()?.Names.ToList(),
                },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = meta.ApiVersion,
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = root },
                        Subresources = statusSubresource ? new V1CustomResourceSubresources { Status = new object() } : null,
                        AdditionalPrinterColumns = entity.GetCustomAttributes<PrinterColumnAttribute>()
                            .Select(c => new V1CustomResourceColumnDefinition
                            {
                                Name = c.Name,
                                JsonPath = c.JsonPath,
                                Type = c.Type,
                                Description = c.Description,
                                Priority = c.Priority == 0 ? null : c.Priority,
                            })
                            .ToList(),
                    },
                ],
            },
        };
    }

    private static V1JSONSchemaProps PropertySchema(PropertyInfo property)
    {
        var schema = TypeSchema(property.PropertyType);
        schema.Description = property.GetCustomAttribute<DescriptionAttribute>()?.Description ?? schema.Description;
        if (property.GetCustomAttribute<RegularExpressionAttribute>() is { } regex)
        {
            schema.Pattern = regex.Pattern;
        }

        if (property.GetCustomAttribute<StringLengthAttribute>() is { } length)
        {
            schema.MaxLength = length.MaximumLength;
            schema.MinLength = length.MinimumLength > 0 ? length.MinimumLength : null;
        }

        if (property.GetCustomAttribute<MinimumAttribute>() is { } minimum)
        {
            schema.Minimum = minimum.Value;
        }

        if (property.GetCustomAttribute<DefaultValueAttribute>() is { } defaultValue)
        {
            schema.DefaultProperty = defaultValue.Value;
        }

        if ((property.GetCustomAttribute<ImmutableAttribute>() ?? property.PropertyType.GetCustomAttribute<ImmutableAttribute>()) is { } immutable)
        {
            schema.XKubernetesValidations = [new V1ValidationRule { Rule = "self == oldSelf", Message = immutable.Message }];
        }

        if (property.GetCustomAttribute<ListMapAttribute>() is { } listMap)
        {
            schema.XKubernetesListType = "map";
            schema.XKubernetesListMapKeys = listMap.Keys.ToList();
        }

        return schema;
    }

    private static V1JSONSchemaProps TypeSchema(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return new V1JSONSchemaProps { Type = "string" };
        }

        if (type == typeof(bool))
        {
            return new V1JSONSchemaProps { Type = "boolean" };
        }

        if (type == typeof(int))
        {
            return new V1JSONSchemaProps { Type = "integer", Format = "int32" };
        }

        if (type == typeof(long))
        {
            return new V1JSONSchemaProps { Type = "integer", Format = "int64" };
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return new V1JSONSchemaProps { Type = "string", Format = "date-time" };
        }

        if (type.IsEnum)
        {
            return new V1JSONSchemaProps { Type = "string", EnumProperty = Enum.GetNames(type).Cast<object>().ToList() };
        }

        if (type == typeof(V1Condition))
        {
            return ConditionSchema();
        }

        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            return new V1JSONSchemaProps { Type = "array", Items = TypeSchema(element) };
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        var required = properties.Where(p => p.GetCustomAttribute<RequiredAttribute>() is not null).Select(JsonName).ToList();
        return new V1JSONSchemaProps
        {
            Type = "object",
            Description = type.GetCustomAttribute<DescriptionAttribute>()?.Description,
            Required = required.Count == 0 ? null : required,
            Properties = properties.ToDictionary(JsonName, PropertySchema),
        };
    }

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name
        ?? char.ToLowerInvariant(property.Name[0]) + property.Name[1..];

    /// <summary>metav1.Condition, as kubebuilder generates it.</summary>
    private static V1JSONSchemaProps ConditionSchema() => new()
    {
        Type = "object",
        Description = "Condition contains details for one aspect of the current state of this API Resource.",
        Required = ["lastTransitionTime", "message", "reason", "status", "type"],
        Properties = new Dictionary<string, V1JSONSchemaProps>
        {
            ["lastTransitionTime"] = new() { Type = "string", Format = "date-time", Description = "lastTransitionTime is the last time the condition transitioned from one status to another." },
            ["message"] = new() { Type = "string", MaxLength = 32768, Description = "message is a human readable message indicating details about the transition." },
            ["observedGeneration"] = new() { Type = "integer", Format = "int64", Minimum = 0, Description = "observedGeneration represents the .metadata.generation that the condition was set based upon." },
            ["reason"] = new()
            {
                Type = "string",
                MaxLength = 1024,
                MinLength = 1,
                Pattern = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                Description = "reason contains a programmatic identifier indicating the reason for the condition's last transition.",
            },
            ["status"] = new() { Type = "string", EnumProperty = ["True", "False", "Unknown"], Description = "status of the condition, one of True, False, Unknown." },
            ["type"] = new()
            {
                Type = "string",
                MaxLength = 316,
                Pattern = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                Description = "type of condition in CamelCase or in foo.example.com/CamelCase.",
            },
        },
    };
}
