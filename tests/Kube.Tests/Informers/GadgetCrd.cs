using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Informers;

/// <summary>A minimal namespaced custom resource for informer tests that need their own metric labels.</summary>
internal static class GadgetCrd
{
    public static async Task<ResourceType> InstallAsync(ApiServer server, string plural)
    {
        var kind = char.ToUpperInvariant(plural[0]) + plural[1..^1];
        var crd = new V1CustomResourceDefinition
        {
            ApiVersion = "apiextensions.k8s.io/v1",
            Kind = "CustomResourceDefinition",
            Metadata = new V1ObjectMeta { Name = $"{plural}.test.vers.sh" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "test.vers.sh",
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = plural, Singular = plural[..^1], Kind = kind, ListKind = kind + "List" },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v1",
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation
                        {
                            OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true },
                        },
                    },
                ],
            },
        };
        await new CrdInstaller(server.Client, NullLogger.Instance).InstallAsync([crd], TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        return new ResourceType("test.vers.sh", "v1", plural, kind);
    }

    public static Task<GenericObject> CreateAsync(ApiServer server, ResourceType type, string name)
    {
        var obj = GenericObject.Create(type, "default", name);
        obj.Fields["spec"] = new System.Text.Json.Nodes.JsonObject { ["size"] = 1 };
        return server.Rest.CreateAsync(type, "default", obj, TestContext.Current.CancellationToken);
    }

    /// <summary>vers_informer_relists_total for this kind (the metric is process-wide; the plural keeps tests apart).</summary>
    public static double Relists(ResourceType type) =>
        Prometheus.Metrics.CreateCounter("vers_informer_relists_total", "Full relists done by informers (start and 410 Gone).", "resource")
            .WithLabels(type.Plural).Value;
}
