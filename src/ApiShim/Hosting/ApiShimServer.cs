using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.ApiShim.Auth;
using Scalar.AspNetCore;
using Vers.ApiShim.Forks;
using Vers.ApiShim.OpenApi;
using Vers.ApiShim.Repositories;
using Vers.ApiShim.Vms;
using System.Text.RegularExpressions;
using Vers.Api.KubeVirt;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Kube;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Hosting;

/// <summary>
/// The fork API as a running HTTP server: Kestrel on <see cref="ApiShimOptions.Listen"/> (and /metrics on
/// <see cref="ApiShimOptions.MetricsListen"/>), plus the informers it answers from (API key Secrets, org namespaces,
/// the RepositoryForks it created, repositories, tags, VirtualMachines).
/// </summary>
public sealed partial class ApiShimServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MetricsServer? _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _informers;
    private readonly Func<bool> _synced;

    private ApiShimServer(WebApplication app, MetricsServer? metrics, Task informers, Func<bool> synced)
    {
        _app = app;
        _metrics = metrics;
        _informers = informers;
        _synced = synced;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where /metrics is served: the metrics listener, or <see cref="BaseAddress"/> when there is none.</summary>
    public Uri MetricsAddress => _metrics?.BaseAddress ?? BaseAddress;

    public IServiceProvider Services => _app.Services;

    public static async Task<ApiShimServer> StartAsync(IKubernetes client, ApiShimOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new QueryRedactingLoggerFactory(loggers));
        builder.WebHost.UseUrls(options.Listen);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 1024 * 1024;
            k.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            k.ConfigureEndpointDefaults(listen =>
            {
                // Plain-text HTTP/2 needs prior knowledge no client of this API uses; TLS terminates in front (ingress).
                listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1;
                KestrelErrorBodies.Watch(listen);
            });
        });

        var secrets = new ResourceInformer<V1Secret>(
            client, ResourceType.Secret, loggers, new InformerOptions { Namespace = options.ReleaseNamespace, LabelSelector = ApiKeys.KeyLabel });
        var namespaces = new ResourceInformer<V1Namespace>(client, ResourceType.Namespace, loggers, new InformerOptions { LabelSelector = VersGroup.OrgLabel });
        var forks = new ResourceInformer<RepositoryFork>(
            client, RepositoryFork.Type, loggers, new InformerOptions { LabelSelector = $"{ForkService.CreatedByLabel}={ForkService.CreatedBy}" });
        var repositories = new ResourceInformer<Repository>(client, Repository.Type, loggers);
        // updated_at is the newest managedFields time: keep the entries, drop their field sets.
        var tags = new ResourceInformer<Tag>(client, Tag.Type, loggers, new InformerOptions { Transform = InformerTransforms.StripManagedFieldSets });
        var vms = new ResourceInformer<GenericObject>(client, KubeVirtTypes.VirtualMachine, loggers, new InformerOptions { Transform = VmCatalog.Slim });
        var orgs = new OrgDirectory(namespaces);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(orgs);
        builder.Services.AddSingleton(forks);
        builder.Services.AddSingleton(new ApiKeyAuthenticator(secrets, options.ReleaseNamespace));
        builder.Services.AddSingleton(_ => new OrgRateLimiter(options.RateLimit));
        builder.Services.AddSingleton(_ => new ClientIpRateLimiter(options.UnauthenticatedRateLimit));
        builder.Services.AddSingleton<RequestAuthentication>();
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddSingleton(new ForkWaiter(forks));
        builder.Services.AddSingleton(new ForkPreflight(new CachedTagReader(orgs, repositories, tags), new LiveSourceReader(client), repositories));
        builder.Services.AddSingleton<ForkService>();
        builder.Services.AddSingleton(new RepositoryCatalog(repositories, tags, orgs));
        builder.Services.AddSingleton(new VmCatalog(vms, namespaces, orgs));
        builder.Services.AddOpenApi("v1", ForkApiDocument.Configure);

        var app = builder.Build();
        var stop = new CancellationTokenSource();
        Informer[] all = [Of(secrets), Of(namespaces), Of(forks), Of(repositories), Of(tags), Of(vms)];
        bool Synced() => all.All(i => i.HasSynced());
        MapEndpoints(app, () => Synced() && (options.ReadinessCheck?.Invoke() ?? true), serveMetrics: options.MetricsListen is null);

        var informers = Task.WhenAll(all.Select(i => Task.Run(() => i.Run(stop.Token), CancellationToken.None)));
        MetricsServer? metrics = null;
        try
        {
            await Task.WhenAll(all.Select(i => i.WaitForSync(ct)));
            metrics = options.MetricsListen is { } metricsListen ? await MetricsServer.StartAsync(metricsListen, ct) : null;
            await app.StartAsync(ct);
        }
        catch
        {
            await stop.CancelAsync();
            if (metrics is not null)
            {
                await metrics.DisposeAsync();
            }

            throw;
        }

        var server = new ApiShimServer(app, metrics, informers, Synced);
        server._stop.Token.Register(stop.Cancel);

        server.BaseAddress = AddressOf(app);
        return server;
    }

    private sealed record Informer(Func<CancellationToken, Task> Run, Func<CancellationToken, Task> WaitForSync, Func<bool> HasSynced);

    private static Informer Of<T>(ResourceInformer<T> informer)
        where T : class, IKubernetesObject<V1ObjectMeta> => new(informer.RunAsync, informer.WaitForSyncAsync, () => informer.HasSynced);

    internal static Uri AddressOf(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }

    public bool IsReady => _synced();

    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    private static void MapEndpoints(WebApplication app, Func<bool> ready, bool serveMetrics)
    {
        // Kestrel's own refusals get the error body too (see KestrelErrorBodies).
        app.Use(KestrelErrorBodies.MarkRequestsAsync);

        // Every error answer, including unknown routes, wrong methods and unreadable request bodies, carries the API's
        // error body.
        app.UseExceptionHandler(errorApp => errorApp.Run(ErrorBodies.HandleExceptionAsync));
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (!response.HasStarted && response.ContentLength is null or 0)
            {
                await response.WriteAsJsonAsync(new ErrorResponse(ErrorBodies.ForStatus(response.StatusCode, context.HttpContext.Request)));
            }
        });

        // Repeated slashes count as one: Vers' Go SDK joins a base URL that ends in "/" with "/api/v1/…".
        app.Use(CollapseSlashes);
        app.UseMiddleware<RequestAuthentication>();
        app.UseRouting();

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Vers fork API").WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .ExcludeFromDescription();
        app.MapGet("/healthz", () => Results.Text("ok")).ExcludeFromDescription();
        app.MapGet("/readyz", () => ready() ? Results.Text("ok") : Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable))
            .ExcludeFromDescription();
        if (serveMetrics)
        {
            app.MapMetrics("/metrics");
        }

        app.MapForkEndpoints();
        app.MapRepositoryEndpoints();
        app.MapVmEndpoints();
        app.MapKeyEndpoints();
    }

    private static Task CollapseSlashes(HttpContext http, RequestDelegate next)
    {
        if (http.Request.Path.Value is { } path && path.Contains("//", StringComparison.Ordinal))
        {
            http.Request.Path = new PathString(RepeatedSlashes().Replace(path, "/"));
        }

        return next(http);
    }

    [GeneratedRegex("/{2,}")]
    private static partial Regex RepeatedSlashes();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _app.StopAsync();
        if (_metrics is not null)
        {
            await _metrics.DisposeAsync();
        }

        try
        {
            await _informers;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        await _app.DisposeAsync();
        _stop.Dispose();
    }
}
