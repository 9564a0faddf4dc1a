using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Vers.Operator.Runtime;

/// <summary>
/// An object of a kind without a C# model. Everything other than apiVersion, kind and metadata
/// stays as JSON in <see cref="Fields"/>, so reading and writing it back loses nothing.
/// </summary>
[JsonConverter(typeof(GenericObjectConverter))]
public sealed class GenericObject : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>Top-level fields other than apiVersion, kind and metadata (spec, status, data, …).</summary>
    public JsonObject Fields { get; set; } = [];

    public JsonObject? Spec
    {
        get => Fields["spec"] as JsonObject;
        set => Set("spec", value);
    }

    public JsonObject? Status
    {
        get => Fields["status"] as JsonObject;
        set => Set("status", value);
    }

    private void Set(string field, JsonObject? value)
    {
        if (value is null)
        {
            Fields.Remove(field);
        }
        else
        {
            Fields[field] = value.Parent is null ? value : value.DeepClone();
        }
    }

    public static GenericObject Create(ResourceType type, string? ns, string name) => new()
    {
        ApiVersion = type.ApiVersion,
        Kind = type.Kind,
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
    };
}

/// <summary>
/// Reads and writes <see cref="GenericObject"/> as the flat Kubernetes object it is. (KubernetesJson's
/// options do not round-trip a JsonObject extension-data property, so the mapping is explicit.)
/// </summary>
public sealed class GenericObjectConverter : JsonConverter<GenericObject>
{
    public override GenericObject Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var node = JsonNode.Parse(ref reader) as JsonObject ?? throw new JsonException("expected a JSON object");
        var result = new GenericObject
        {
            ApiVersion = (string?)node["apiVersion"] ?? "",
            Kind = (string?)node["kind"] ?? "",
            Metadata = node["metadata"]?.Deserialize<V1ObjectMeta>(options) ?? new V1ObjectMeta(),
        };
        foreach (var (name, value) in node.ToList())
        {
            if (name is not ("apiVersion" or "kind" or "metadata"))
            {
                node.Remove(name);
                result.Fields[name] = value;
            }
        }

        return result;
    }

    public override void Write(Utf8JsonWriter writer, GenericObject value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("apiVersion", value.ApiVersion);
        writer.WriteString("kind", value.Kind);
        writer.WritePropertyName("metadata");
        JsonSerializer.Serialize(writer, value.Metadata, options);
        foreach (var (name, field) in value.Fields)
        {
            writer.WritePropertyName(name);
            if (field is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                field.WriteTo(writer, options);
            }
        }

        writer.WriteEndObject();
    }
}
