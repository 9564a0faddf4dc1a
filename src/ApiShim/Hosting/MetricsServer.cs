using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Vers.ApiShim.Hosting;

/// <summary>
/// /metrics on a listener of its own (<c>--metrics-listen</c>), so the API's port, which faces clients, does not serve
/// it: a scraper reaches it on a port a NetworkPolicy can open to the monitoring namespace only.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<MetricsServer> StartAsync(string listen, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1));
        var app = builder.Build();
        app.MapMetrics("/metrics");
        app.MapFallback((HttpContext http) => ErrorBodies.Result(StatusCodes.Status404NotFound, $"no such endpoint: {http.Request.Method} {http.Request.Path} (this listener serves /metrics)"));
        await app.StartAsync(ct);
        return new MetricsServer(app) { BaseAddress = ApiShimServer.AddressOf(app) };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
