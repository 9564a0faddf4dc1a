using k8s;
using k8s.Models;

namespace Vers.Kube.Client;

public static class KubeWait
{
    /// <summary>
    /// Waits, by watching, until the named object satisfies <paramref name="condition"/>; answers it.
    /// Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<T> UntilAsync<T>(
        this KubeRestClient client, ResourceType type, string? ns, string name, Func<T, bool> condition, TimeSpan timeout, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        T? last = null;
        try
        {
            var list = await client.ListAsync<T>(type, ns, deadline.Token, fieldSelector: $"metadata.name={name}");
            last = list.Items.FirstOrDefault();
            if (last is not null && condition(last))
            {
                return last;
            }

            var resourceVersion = list.Metadata.ResourceVersion;
            while (true)
            {
                await foreach (var (eventType, obj) in client.WatchAsync<T>(
                    type, ns, resourceVersion, deadline.Token, fieldSelector: $"metadata.name={name}", timeoutSeconds: 60))
                {
                    resourceVersion = obj.Metadata?.ResourceVersion ?? resourceVersion;
                    if (eventType is WatchEventType.Added or WatchEventType.Modified)
                    {
                        last = obj;
                        if (condition(obj))
                        {
                            return obj;
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"{type.Kind} {(ns is null ? name : $"{ns}/{name}")} did not reach the expected state within {timeout}; last seen: {(last is null ? "absent" : KubernetesJson.Serialize(last))}");
        }
    }

    /// <summary>Waits, by watching, until the named object does not exist. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilGoneAsync(this KubeRestClient client, ResourceType type, string? ns, string name, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            var list = await client.ListAsync<GenericObject>(type, ns, deadline.Token, fieldSelector: $"metadata.name={name}");
            if (list.Items.Count == 0)
            {
                return;
            }

            var resourceVersion = list.Metadata.ResourceVersion;
            while (true)
            {
                await foreach (var (eventType, obj) in client.WatchAsync<GenericObject>(
                    type, ns, resourceVersion, deadline.Token, fieldSelector: $"metadata.name={name}", timeoutSeconds: 60))
                {
                    resourceVersion = obj.Metadata?.ResourceVersion ?? resourceVersion;
                    if (eventType == WatchEventType.Deleted)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{type.Kind} {(ns is null ? name : $"{ns}/{name}")} still exists after {timeout}");
        }
    }
}
