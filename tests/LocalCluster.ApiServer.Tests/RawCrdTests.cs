using System.Net;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>A fresh API server with one CRD installed, driven through raw HTTP (<see cref="RawApi"/>).</summary>
public abstract class RawCrdTests(string crdJson) : IAsyncLifetime
{
    private TestCluster? _cluster;
    private RawApi? _api;

    private protected RawApi Api => _api!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync();
        _api = new RawApi(_cluster.Server.BaseAddress);
        var crd = await Api.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crdJson);
        Assert.Equal(HttpStatusCode.Created, crd.Code);
    }

    public async ValueTask DisposeAsync()
    {
        _api?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
