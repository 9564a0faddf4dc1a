using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// A KubeVirt/CDI/CSI object kept as JSON below <c>spec</c> and <c>status</c> (every simulated kind has only
/// these top-level fields). The runtime's <c>GenericObject</c> is not used: with <see cref="KubernetesJson"/>
/// its <c>[JsonExtensionData] JsonObject</c> neither deserialises (Fields stays empty) nor serialises to valid JSON.
/// </summary>
public sealed class KubeVirtObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public JsonObject? Spec { get; set; }

    [JsonPropertyName("status")]
    public JsonObject? Status { get; set; }
}
