using System.Text.Json.Nodes;
using k8s.Models;

namespace Vers.Operator.Runtime.Finalizers;

/// <summary>
/// JSON patches that add or remove one finalizer, guarded by a <c>test</c> of the resourceVersion the
/// caller read: the patch fails with 422 instead of overwriting a list someone else changed meanwhile,
/// and only our own entry is touched, wherever it stands in the list.
/// </summary>
public static class FinalizerPatch
{
    public static bool Has(V1ObjectMeta metadata, string finalizer) => metadata.Finalizers?.Contains(finalizer) == true;

    /// <summary>The patch adding <paramref name="finalizer"/>; null when it is already there.</summary>
    public static string? Add(V1ObjectMeta metadata, string finalizer) =>
        Has(metadata, finalizer) ? null : Build(metadata, [.. metadata.Finalizers ?? [], finalizer]);

    /// <summary>The patch removing <paramref name="finalizer"/>; null when it is not there.</summary>
    public static string? Remove(V1ObjectMeta metadata, string finalizer) =>
        Has(metadata, finalizer) ? Build(metadata, [.. metadata.Finalizers!.Where(f => f != finalizer)]) : null;

    private static string Build(V1ObjectMeta metadata, IEnumerable<string> finalizers)
    {
        var list = new JsonArray();
        foreach (var f in finalizers)
        {
            list.Add(f);
        }

        return new JsonArray
        {
            new JsonObject { ["op"] = "test", ["path"] = "/metadata/resourceVersion", ["value"] = metadata.ResourceVersion },
            new JsonObject { ["op"] = metadata.Finalizers is null ? "add" : "replace", ["path"] = "/metadata/finalizers", ["value"] = list },
        }.ToJsonString();
    }
}
