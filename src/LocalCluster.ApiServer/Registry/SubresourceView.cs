using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// A subresource that serves another kind than its resource, converted from the stored object on reads and folded
/// back into it on writes, as ScaleREST does (pkg/registry/apps/deployment/storage/storage.go: scaleFromDeployment,
/// scaleUpdatedObjectInfo). The write then goes through the resource's own store and strategy. A strategy lists its
/// views in <see cref="ResourceStrategy.Views"/>; discovery lists them with their kind.
/// </summary>
internal abstract class SubresourceView
{
    /// <summary>The path segment (<c>scale</c>).</summary>
    public abstract string Name { get; }

    public abstract string Group { get; }

    public abstract string Version { get; }

    public abstract string Kind { get; }

    public string ApiVersion => ResourceType.ApiVersionOf(Group, Version);

    /// <summary>The verbs discovery lists for it (its endpoint serves GET, PUT and PATCH).</summary>
    public IReadOnlyList<string> Verbs { get; } = ["get", "patch", "update"];

    /// <summary>The view of an object, as the resource serves it.</summary>
    public abstract JsonObject FromParent(JsonObject parent);

    /// <summary>
    /// The object as the view's write changes it: <paramref name="view"/> is the client's body (or the patched view),
    /// <paramref name="parent"/> a private copy of the current object as served, to change and return. Throws the
    /// view's own decoding and validation errors.
    /// </summary>
    public abstract JsonObject ToParent(ResourceType type, JsonObject view, JsonObject parent);
}
