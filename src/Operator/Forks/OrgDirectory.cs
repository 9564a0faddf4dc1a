using k8s.Models;
using Vers.Operator.Entities;
using Vers.Operator.Runtime.Informers;

namespace Vers.Operator.Forks;

/// <summary>Organisations are namespaces labelled vers.sh/org=&lt;org&gt;; answers from the namespace informer's cache.</summary>
public sealed class OrgDirectory(ResourceInformer<V1Namespace> namespaces)
{
    public string? NamespaceOf(string org) =>
        namespaces.List()
            .Where(n => n.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.OrgLabel, out var value) && value == org)
            .Where(n => n.Metadata.DeletionTimestamp is null)
            .Select(n => n.Metadata.Name)
            .Order(StringComparer.Ordinal) // an org labelled on two namespaces is a misconfiguration: stay deterministic
            .FirstOrDefault();

    public string? OrgOf(string ns) =>
        namespaces.Get(null, ns)?.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.OrgLabel, out var org) ? org : null;
}
