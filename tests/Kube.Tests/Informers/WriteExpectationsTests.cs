using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Informers;

public sealed class WriteExpectationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(ApiServer Api, ResourceInformer<V1ConfigMap> Informer, WriteExpectations<V1ConfigMap> Written, Task Loop, CancellationTokenSource Stop)> StartAsync()
    {
        var api = await ApiServer.StartAsync();
        var informer = new ResourceInformer<V1ConfigMap>(api.Client, ApiServer.ConfigMaps, NullLoggerFactory.Instance);
        var written = new WriteExpectations<V1ConfigMap>(informer);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = Task.Run(() => informer.RunAsync(stop.Token), CancellationToken.None);
        await informer.WaitForSyncAsync(Ct);
        return (api, informer, written, loop, stop);
    }

    private static async Task<V1ConfigMap> CachedAsync(ResourceInformer<V1ConfigMap> informer, string resourceVersion)
    {
        for (var i = 0; i < 200; i++)
        {
            if (informer.Get("default", "a") is { } cached && cached.Metadata.ResourceVersion == resourceVersion)
            {
                return cached;
            }

            await Task.Delay(25, Ct);
        }

        throw new TimeoutException($"the cache never showed resourceVersion {resourceVersion}");
    }

    [Fact]
    public async Task A_copy_older_than_our_pending_write_waits()
    {
        var (api, informer, written, loop, stop) = await StartAsync();
        await using var _ = api;
        var created = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", ApiServer.ConfigMap("a"), Ct);

        written.Wrote(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a", NamespaceProperty = "default", ResourceVersion = "999999" } });

        Assert.NotNull(written.Pending(created));
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task A_copy_the_cache_has_moved_on_from_is_stale_even_with_no_write_pending()
    {
        var (api, informer, written, loop, stop) = await StartAsync();
        await using var _ = api;
        var old = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", ApiServer.ConfigMap("a"), Ct);
        var newer = await api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", new { data = new Dictionary<string, string> { ["k"] = "v" } }, Ct);
        var cached = await CachedAsync(informer, newer.Metadata.ResourceVersion);

        Assert.NotNull(written.Pending(old));
        Assert.Null(written.Pending(cached));
        await stop.CancelAsync();
        await loop;
    }
}
