using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Vers.Operator.Runtime;

/// <summary>
/// An object of a kind without a C# model. Everything other than apiVersion, kind and metadata
/// stays as JSON in <see cref="Fields"/>, so reading and writing it back loses nothing.
/// </summary>
public sealed class GenericObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonExtensionData]
    public JsonObject Fields { get; set; } = [];

    public JsonObject? Spec => Fields["spec"] as JsonObject;

    public JsonObject? Status => Fields["status"] as JsonObject;

    public static GenericObject Create(ResourceType type, string? ns, string name) => new()
    {
        ApiVersion = type.ApiVersion,
        Kind = type.Kind,
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
    };
}
