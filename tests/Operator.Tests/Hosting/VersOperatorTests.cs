using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.KubeVirt;
using Vers.Api.Crds;
using Vers.Operator.Hosting;
using Vers.Kube.Client;
using Vers.Operator.Tests.Support;
using Vers.Testing;

namespace Vers.Operator.Tests.Hosting;

public sealed class VersOperatorTests
{
    [Fact]
    public async Task Start_returns_once_every_cache_has_synced_and_disposing_twice_is_harmless()
    {
        await using var server = await ApiServer.StartAsync();
        await new CrdInstaller(server.Client, NullLogger.Instance).InstallAsync(
            CrdGenerator.All().Concat(KubeVirtCrds.All), TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var versOperator = new VersOperator(server.Client, NullLoggerFactory.Instance, new VersOperatorOptions { Identity = "test" });

        await versOperator.StartAsync(TestContext.Current.CancellationToken);

        Assert.True(versOperator.IsReady);
        Assert.True(versOperator.Caches.Forks.HasSynced && versOperator.Namespaces.HasSynced);
        await versOperator.DisposeAsync();
        await versOperator.DisposeAsync();
    }

    [Fact]
    public async Task Disposing_an_operator_that_never_started_is_harmless()
    {
        await using var server = await ApiServer.StartAsync();

        await new VersOperator(server.Client, NullLoggerFactory.Instance).DisposeAsync();
    }
}
