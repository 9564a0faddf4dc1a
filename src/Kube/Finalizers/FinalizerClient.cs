using System.Net;
using k8s;
using k8s.Models;
using Vers.Kube.Client;

namespace Vers.Kube.Finalizers;

/// <summary>
/// Adds or removes one finalizer with a <see cref="FinalizerPatch"/>, starting from the copy the caller has (usually an
/// informer's) and, when that copy turns out stale — the patch's <c>test</c> fails, which the API server answers 422
/// (handlers/patch.go <c>applyJSPatch</c>) — from a fresh read, a few times, as client-go's
/// <c>retry.RetryOnConflict</c> does for updates.
/// </summary>
public static class FinalizerClient
{
    /// <summary>The object with <paramref name="finalizer"/>; unchanged when it had it already.</summary>
    public static Task<T> AddFinalizerAsync<T>(this KubeRestClient client, ResourceType type, T obj, string finalizer, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        PatchAsync(client, type, obj, o => FinalizerPatch.Add(o.Metadata, finalizer), ct);

    /// <summary>The object without <paramref name="finalizer"/>, or null when it is gone (the last finalizer went).</summary>
    public static async Task<T?> RemoveFinalizerAsync<T>(this KubeRestClient client, ResourceType type, T obj, string finalizer, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            return await PatchAsync(client, type, obj, o => FinalizerPatch.Remove(o.Metadata, finalizer), ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private static async Task<T> PatchAsync<T>(KubeRestClient client, ResourceType type, T obj, Func<T, string?> patchFor, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        const int Attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            if (patchFor(obj) is not { } patch)
            {
                return obj;
            }

            try
            {
                return await client.PatchAsync<T>(type, obj.Metadata.NamespaceProperty, obj.Metadata.Name, patch, ct, PatchKind.Json);
            }
            catch (KubeApiException e) when (attempt < Attempts && (e.StatusCode == HttpStatusCode.UnprocessableEntity || e.IsConflict))
            {
                obj = await client.GetAsync<T>(type, obj.Metadata.NamespaceProperty, obj.Metadata.Name, ct);
            }
        }
    }
}
