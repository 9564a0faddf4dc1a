using System.Reflection;
using k8s.Models;

namespace Vers.Kube;

/// <summary>Where a kind lives on the API server: group, version, plural and scope.</summary>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced = true)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The qualified resource name used in API error messages, e.g. <c>repositoryforks.vers.sh</c>.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public static ResourceType For<T>(bool namespaced = true) => For(typeof(T), namespaced);

    public static ResourceType For(Type entity, bool namespaced = true)
    {
        var attribute = entity.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{entity.Name} has no [KubernetesEntity] attribute");
        return new ResourceType(attribute.Group ?? "", attribute.ApiVersion, attribute.PluralName, attribute.Kind, namespaced);
    }

    public static readonly ResourceType Namespace = new("", "v1", "namespaces", "Namespace", Namespaced: false);
    public static readonly ResourceType Secret = new("", "v1", "secrets", "Secret");
    public static readonly ResourceType Lease = new("coordination.k8s.io", "v1", "leases", "Lease");
    public static readonly ResourceType EventV1 = new("events.k8s.io", "v1", "events", "Event");
    public static readonly ResourceType CustomResourceDefinition = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", Namespaced: false);
}
