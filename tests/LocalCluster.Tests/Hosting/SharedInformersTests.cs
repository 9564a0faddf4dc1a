using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.Hosting;

namespace Vers.LocalCluster.Tests.Hosting;

/// <summary>
/// In the all-in-one host the simulator, the operator and the fork API take their informers from one factory: a kind
/// two or three of them cache in one form is listed and watched once, by the shared informers' client.
/// </summary>
public sealed class SharedInformersTests
{
    /// <summary>
    /// Informers per resource: the simulator's 13 kinds, the operator's 10 caches and the fork API's 6, where VMs, VM
    /// snapshots, clones, DataVolumes, repositories, tags and org namespaces are shared; RepositoryForks are cached
    /// twice (all of them for the operator, the API's own for the API: another selector).
    /// </summary>
    private static readonly Dictionary<string, int> Expected = new(StringComparer.Ordinal)
    {
        ["virtualmachines"] = 1,
        ["virtualmachinesnapshots"] = 1,
        ["virtualmachinesnapshotcontents"] = 1,
        ["virtualmachinerestores"] = 1,
        ["virtualmachineclones"] = 1,
        ["datavolumes"] = 1,
        ["volumesnapshots"] = 1,
        ["volumesnapshotcontents"] = 1,
        ["volumesnapshotclasses"] = 1,
        ["persistentvolumeclaims"] = 1,
        ["persistentvolumes"] = 1,
        ["storageclasses"] = 1,
        ["kubevirts"] = 1,
        ["repositoryforks"] = 2,
        ["repositories"] = 1,
        ["tags"] = 1,
        ["commits"] = 1,
        ["namespaces"] = 1,
        ["secrets"] = 1,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_kind_the_components_share_is_watched_once_with_the_shared_informers_client()
    {
        await using var host = await AllInOneHost.StartAsync(
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                KubeListen = "http://127.0.0.1:0",
                Kubeconfig = null,
                LoggerFactory = NullLoggerFactory.Instance,
            },
            Ct);

        var informers = host.Informers.Informers.GroupBy(i => i.Type.Plural).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.Equal(Expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), informers.OrderBy(kv => kv.Key, StringComparer.Ordinal));

        // Each informer watches once it has listed; the watch requests reach the server soon after the host is ready.
        // (The demo seeder's waits are watches too, with the host's own client.)
        long Shared(string verb, string resource) => host.KubeApi.Requests.Count(verb, resource, UserAgents.SharedInformers);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (Expected.Any(kv => Shared("watch", kv.Key) < kv.Value))
        {
            await Task.Delay(50, timeout.Token);
        }

        foreach (var (resource, count) in Expected)
        {
            Assert.True(
                Shared("watch", resource) == count && Shared("list", resource) == count,
                $"{resource}: {Shared("watch", resource)} watches, {Shared("list", resource)} lists, expected {count}");
        }

        Assert.Equal(Expected.Values.Sum(), host.KubeApi.Requests.Count("watch", client: UserAgents.SharedInformers));
        foreach (var component in new[] { UserAgents.Simulator, UserAgents.Operator, UserAgents.ApiShim })
        {
            Assert.Equal(0, host.KubeApi.Requests.Count("watch", client: component));
        }
    }
}
