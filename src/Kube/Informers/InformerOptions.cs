using k8s;
using k8s.Models;

namespace Vers.Kube.Informers;

public sealed record InformerOptions
{
    /// <summary>Watch only this namespace; null watches all namespaces.</summary>
    public string? Namespace { get; init; }

    public string? LabelSelector { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Server-side watch timeout; like client-go, a random value in [min, 2·min) so reconnects spread out.</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Applied to each object as it arrives (list or watch), before it is cached and handed to handlers
    /// (controller-runtime's <c>DefaultTransform</c>); it may change the object in place, which nothing else
    /// holds yet. By default managedFields are dropped: they are most of an object's metadata and nothing in
    /// the cache reads them. Null keeps objects exactly as the server sent them.
    /// </summary>
    public Func<IKubernetesObject<V1ObjectMeta>, IKubernetesObject<V1ObjectMeta>>? Transform { get; init; } = InformerTransforms.StripManagedFields;
}

/// <summary>Transforms for <see cref="InformerOptions.Transform"/>.</summary>
public static class InformerTransforms
{
    /// <summary>
    /// Drops <c>metadata.managedFields</c>. Writes stay safe: an update that omits them leaves the server's
    /// untouched (only an explicit empty list resets them), and status writes never change them.
    /// </summary>
    public static IKubernetesObject<V1ObjectMeta> StripManagedFields(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj.Metadata is { } metadata)
        {
            metadata.ManagedFields = null;
        }

        return obj;
    }

    /// <summary>
    /// Keeps who wrote an object and when (manager, operation, time, subresource) but drops the field sets,
    /// which are the bulk of each entry.
    /// </summary>
    public static IKubernetesObject<V1ObjectMeta> StripManagedFieldSets(IKubernetesObject<V1ObjectMeta> obj)
    {
        foreach (var entry in obj.Metadata?.ManagedFields ?? [])
        {
            entry.FieldsV1 = null;
            entry.FieldsType = null;
            // A handful of distinct values across all objects: share them.
            entry.Manager = entry.Manager is null ? null : string.Intern(entry.Manager);
            entry.Operation = entry.Operation is null ? null : string.Intern(entry.Operation);
            entry.ApiVersion = entry.ApiVersion is null ? null : string.Intern(entry.ApiVersion);
            entry.Subresource = entry.Subresource is null ? null : string.Intern(entry.Subresource);
        }

        return obj;
    }
}
