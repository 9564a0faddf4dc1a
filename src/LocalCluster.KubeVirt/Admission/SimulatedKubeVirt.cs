using System.Text.Json.Nodes;
using k8s.Models;
using Vers.Kube;

namespace Vers.LocalCluster.KubeVirt.Admission;

/// <summary>
/// The simulated KubeVirt installation's <c>KubeVirt</c> resource (<c>kubevirt/kubevirt</c>), whose
/// <c>spec.configuration.developerConfiguration.featureGates</c> / <c>disabledFeatureGates</c> decide what the
/// webhooks admit — so that turning the Snapshot gate off (or on, as on KubeVirt ≤ 1.8) is the same
/// <c>kubectl patch kubevirt</c> as on a real cluster. Its CRD is a hand-written subset of KubeVirt's (the embedded
/// upstream definitions do not include this kind): the developer configuration is typed, the rest of the spec is kept
/// as given.
/// </summary>
public static class SimulatedKubeVirt
{
    public const string Namespace = "kubevirt";
    public const string Name = "kubevirt";
    public const string ObservedVersion = "v1.9.0";

    public static readonly ResourceType Type = new("kubevirt.io", "v1", "kubevirts", "KubeVirt");

    /// <summary>
    /// featuregate/feature-gates.go <c>IsEnabled</c> on v1.9: GA gates are on; a gate listed in featureGates is on; one in
    /// disabledFeatureGates is off; a Beta gate (Snapshot is Beta since v1.3) is on by default from v1.9 on.
    /// </summary>
    public static bool IsEnabled(GenericObject? kubeVirt, string gate)
    {
        var developer = kubeVirt?.Spec?["configuration"]?["developerConfiguration"];
        if (Lists(developer?["featureGates"]).Contains(gate))
        {
            return true;
        }

        if (Lists(developer?["disabledFeatureGates"]).Contains(gate))
        {
            return false;
        }

        return true;
    }

    private static IEnumerable<string> Lists(JsonNode? node) => (node as JsonArray ?? []).Select(n => (string?)n).OfType<string>();

    /// <summary>The installed KubeVirt resource, as virt-operator leaves it once deployed.</summary>
    public static JsonObject Resource() => new()
    {
        ["apiVersion"] = Type.ApiVersion,
        ["kind"] = Type.Kind,
        ["metadata"] = new JsonObject { ["name"] = Name, ["namespace"] = Namespace },
        ["spec"] = new JsonObject
        {
            ["configuration"] = new JsonObject { ["developerConfiguration"] = new JsonObject { ["featureGates"] = new JsonArray() } },
        },
    };

    public static JsonObject DeployedStatus() => new()
    {
        ["phase"] = "Deployed",
        ["observedKubeVirtVersion"] = ObservedVersion,
        ["targetKubeVirtVersion"] = ObservedVersion,
        ["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Available",
            ["status"] = "True",
            ["reason"] = "AllComponentsReady",
            ["message"] = "All components are ready.",
        }),
    };

    public static V1CustomResourceDefinition Crd()
    {
        static V1JSONSchemaProps Strings() => new() { Type = "array", Items = new V1JSONSchemaProps { Type = "string" } };
        var schema = new V1JSONSchemaProps
        {
            Type = "object",
            Properties = new Dictionary<string, V1JSONSchemaProps>
            {
                ["apiVersion"] = new() { Type = "string" },
                ["kind"] = new() { Type = "string" },
                ["metadata"] = new() { Type = "object" },
                ["spec"] = new()
                {
                    Type = "object",
                    XKubernetesPreserveUnknownFields = true,
                    Properties = new Dictionary<string, V1JSONSchemaProps>
                    {
                        ["configuration"] = new()
                        {
                            Type = "object",
                            XKubernetesPreserveUnknownFields = true,
                            Properties = new Dictionary<string, V1JSONSchemaProps>
                            {
                                ["developerConfiguration"] = new()
                                {
                                    Type = "object",
                                    XKubernetesPreserveUnknownFields = true,
                                    Properties = new Dictionary<string, V1JSONSchemaProps>
                                    {
                                        ["featureGates"] = Strings(),
                                        ["disabledFeatureGates"] = Strings(),
                                    },
                                },
                            },
                        },
                    },
                },
                ["status"] = new() { Type = "object", XKubernetesPreserveUnknownFields = true },
            },
        };
        return new V1CustomResourceDefinition
        {
            ApiVersion = "apiextensions.k8s.io/v1",
            Kind = "CustomResourceDefinition",
            Metadata = new V1ObjectMeta { Name = "kubevirts.kubevirt.io" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "kubevirt.io",
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames
                {
                    Kind = "KubeVirt", ListKind = "KubeVirtList", Plural = "kubevirts", Singular = "kubevirt", ShortNames = ["kv", "kvs"], Categories = ["all"],
                },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v1",
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = schema },
                        Subresources = new V1CustomResourceSubresources { Status = new object() },
                        AdditionalPrinterColumns =
                        [
                            new V1CustomResourceColumnDefinition { Name = "Age", Type = "date", JsonPath = ".metadata.creationTimestamp" },
                            new V1CustomResourceColumnDefinition { Name = "Phase", Type = "string", JsonPath = ".status.phase" },
                        ],
                    },
                ],
            },
        };
    }
}
