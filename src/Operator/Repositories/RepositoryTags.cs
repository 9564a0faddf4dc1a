using Vers.Api;
using Vers.Kube.Informers;

namespace Vers.Operator.Repositories;

/// <summary>
/// The Tags of a Repository, by an index on the Tag informer (<c>namespace/repository</c>): counting them costs the
/// repository's tags, not a scan of its namespace, where every fork of an org keeps its tags.
/// </summary>
public static class RepositoryTags
{
    public const string Index = "repository";

    /// <summary>Adds the index; once per informer, before the readers below are used.</summary>
    public static void AddIndex(ResourceInformer<Tag> tags) =>
        tags.AddIndex(Index, tag => [Key(tag.Metadata.NamespaceProperty, tag.Spec.Repository)]);

    /// <summary>The cached Tags in <paramref name="ns"/> that name <paramref name="repository"/> (its Vers name); shared: never mutate them.</summary>
    public static IReadOnlyList<Tag> Of(ResourceInformer<Tag> tags, string? ns, string repository) =>
        tags.ByIndex(Index, Key(ns, repository));

    private static string Key(string? ns, string repository) => $"{ns}/{repository}";
}
