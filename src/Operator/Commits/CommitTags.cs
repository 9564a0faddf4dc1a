using Vers.Api;
using Vers.Kube.Informers;

namespace Vers.Operator.Commits;

/// <summary>The Tags pointing at a Commit, by an index on the Tag informer (<c>namespace/commitId</c>).</summary>
public static class CommitTags
{
    public const string Index = "commit";

    /// <summary>Adds the index; once per informer, before the readers below are used.</summary>
    public static void AddIndex(ResourceInformer<Tag> tags) =>
        tags.AddIndex(Index, tag => [Key(tag.Metadata.NamespaceProperty, tag.Spec.CommitId)]);

    /// <summary>The cached Tags in <paramref name="ns"/> that point at commit <paramref name="commitId"/>; shared: never mutate them.</summary>
    public static IReadOnlyList<Tag> Of(ResourceInformer<Tag> tags, string? ns, string commitId) =>
        tags.ByIndex(Index, Key(ns, commitId));

    private static string Key(string? ns, string commitId) => $"{ns}/{commitId}";
}
