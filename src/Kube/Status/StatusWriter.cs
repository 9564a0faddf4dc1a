using k8s;
using k8s.Models;
using Vers.Kube.Client;

namespace Vers.Kube.Status;

/// <summary>
/// Writes an object's status through <c>/status</c> with the resourceVersion it was computed from, and
/// on a 409 Conflict re-reads and recomputes (client-go's RetryOnConflict): a status is never written
/// over a newer one computed by someone else.
/// </summary>
public static class StatusWriter
{
    /// <param name="mutate">Sets the status on the copy it gets; answers false when nothing needs writing.</param>
    public static async Task<T> UpdateAsync<T>(
        this KubeRestClient client, ResourceType type, T current, Func<T, bool> mutate, CancellationToken ct, int attempts = 5)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        for (var attempt = 1; ; attempt++)
        {
            var copy = KubeJson.DeepCopy(current);
            if (!mutate(copy))
            {
                return current;
            }

            try
            {
                return await client.ReplaceAsync(type, copy.Metadata.NamespaceProperty, copy.Metadata.Name, copy, ct, subresource: "status");
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < attempts)
            {
                current = await client.GetAsync<T>(type, current.Metadata.NamespaceProperty, current.Metadata.Name, ct);
            }
        }
    }
}
