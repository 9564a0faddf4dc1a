using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Vers.Kube.Client;

/// <summary>
/// Creates or updates CustomResourceDefinitions and waits until each is Established (served), by
/// watching it. Works against any API server: the all-in-one host, K3s or a real cluster.
/// </summary>
public sealed class CrdInstaller(IKubernetes client, ILogger logger)
{
    private readonly KubeRestClient _client = new(client);

    public async Task InstallAsync(IEnumerable<V1CustomResourceDefinition> crds, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var list = crds.ToList();
        foreach (var crd in list)
        {
            await ApplyAsync(crd, deadline.Token);
        }

        await Task.WhenAll(list.Select(crd => WaitEstablishedAsync(crd.Metadata.Name, deadline.Token)));
        logger.LogInformation("Installed {Count} CRDs", list.Count);
    }

    private async Task ApplyAsync(V1CustomResourceDefinition crd, CancellationToken ct)
    {
        try
        {
            await _client.CreateAsync(ResourceType.CustomResourceDefinition, null, crd, ct, "vers-installer");
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await _client.GetAsync<V1CustomResourceDefinition>(ResourceType.CustomResourceDefinition, null, crd.Metadata.Name, ct);
            crd.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await _client.ReplaceAsync(ResourceType.CustomResourceDefinition, null, crd.Metadata.Name, crd, ct);
        }
    }

    private async Task WaitEstablishedAsync(string name, CancellationToken ct)
    {
        var list = await _client.ListAsync<V1CustomResourceDefinition>(
            ResourceType.CustomResourceDefinition, null, ct, fieldSelector: $"metadata.name={name}");
        if (list.Items.Any(IsEstablished))
        {
            return;
        }

        var resourceVersion = list.Metadata.ResourceVersion;
        while (true)
        {
            await foreach (var (_, crd) in _client.WatchAsync<V1CustomResourceDefinition>(
                ResourceType.CustomResourceDefinition, null, resourceVersion, ct, fieldSelector: $"metadata.name={name}", timeoutSeconds: 60))
            {
                resourceVersion = crd.Metadata?.ResourceVersion ?? resourceVersion;
                if (crd.Metadata?.Name == name && IsEstablished(crd))
                {
                    return;
                }
            }
        }
    }

    private static bool IsEstablished(V1CustomResourceDefinition crd) =>
        crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;
}
