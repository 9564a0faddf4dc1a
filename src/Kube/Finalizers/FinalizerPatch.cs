using System.Text.Json.Nodes;
using k8s.Models;

namespace Vers.Kube.Finalizers;

/// <summary>
/// JSON patches that add or remove one finalizer. Adding is guarded by a <c>test</c> of the resourceVersion the
/// caller read (the patch fails instead of overwriting a list someone else changed meanwhile). Removing tests only
/// that our entry still stands where the caller saw it, so a write elsewhere in the object (a status update, a
/// label) does not turn the removal into a conflict and a second request; only our own entry is ever touched.
/// </summary>
public static class FinalizerPatch
{
    public static bool Has(V1ObjectMeta metadata, string finalizer) => metadata.Finalizers?.Contains(finalizer) == true;

    /// <summary>The patch adding <paramref name="finalizer"/>; null when it is already there.</summary>
    public static string? Add(V1ObjectMeta metadata, string finalizer) =>
        Has(metadata, finalizer) ? null : Build(metadata, [.. metadata.Finalizers ?? [], finalizer]);

    /// <summary>The patch removing <paramref name="finalizer"/>; null when it is not there.</summary>
    public static string? Remove(V1ObjectMeta metadata, string finalizer)
    {
        var index = metadata.Finalizers?.IndexOf(finalizer) ?? -1;
        if (index < 0)
        {
            return null;
        }

        // The last entry goes with the list (the apiserver stores no empty list), tested whole: a finalizer someone
        // added since the caller's read must not go with it.
        if (metadata.Finalizers!.Count == 1)
        {
            return new JsonArray
            {
                new JsonObject { ["op"] = "test", ["path"] = "/metadata/finalizers", ["value"] = new JsonArray(finalizer) },
                new JsonObject { ["op"] = "remove", ["path"] = "/metadata/finalizers" },
            }.ToJsonString();
        }

        return new JsonArray
        {
            new JsonObject { ["op"] = "test", ["path"] = $"/metadata/finalizers/{index}", ["value"] = finalizer },
            new JsonObject { ["op"] = "remove", ["path"] = $"/metadata/finalizers/{index}" },
        }.ToJsonString();
    }

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
