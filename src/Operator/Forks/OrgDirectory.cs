using k8s.Models;
using Vers.Api;
using Vers.Kube.Informers;

namespace Vers.Operator.Forks;

/// <summary>Organisations are namespaces labelled vers.sh/org=&lt;org&gt;; answers from the namespace informer's cache.</summary>
public sealed class OrgDirectory(ResourceInformer<V1Namespace> namespaces)
{
    public string? NamespaceOf(string org) => NamespaceOf(namespaces.List(), org);

    public string? OrgOf(string ns) => OrgOf(namespaces.Get(null, ns));

    /// <summary>The namespace of <paramref name="org"/> among <paramref name="candidates"/> (the same rule for the cache and a live list).</summary>
    public static string? NamespaceOf(IEnumerable<V1Namespace> candidates, string org) =>
        candidates
            .Where(n => n.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.OrgLabel, out var value) && value == org)
            .Where(n => n.Metadata.DeletionTimestamp is null)
            .Select(n => n.Metadata.Name)
            .Order(StringComparer.Ordinal) // an org labelled on two namespaces is a misconfiguration: stay deterministic
            .FirstOrDefault();

    /// <summary>The organisation a namespace is, from its label; null for none (or no namespace).</summary>
    public static string? OrgOf(V1Namespace? ns) =>
        ns?.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.OrgLabel, out var org) ? org : null;
}
