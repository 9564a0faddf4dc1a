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
    private readonly SharedInformerFactory? _ownInformers;
    private readonly Caches _caches;

    private ApiShimServer(WebApplication app, MetricsServer? metrics, SharedInformerFactory? ownInformers, Caches caches)
    {
        _app = app;
        _metrics = metrics;
        _ownInformers = ownInformers;
        _caches = caches;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where /metrics is served: the metrics listener, or <see cref="BaseAddress"/> when there is none.</summary>
    public Uri MetricsAddress => _metrics?.BaseAddress ?? BaseAddress;

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the API on <paramref name="client"/>; its informers come from <paramref name="informers"/> when it shares a
    /// factory with other components of the process (whose owner starts and stops it), else from a factory of its own.
    /// </summary>
    public static async Task<ApiShimServer> StartAsync(
        IKubernetes client, ApiShimOptions options, ILoggerFactory loggers, CancellationToken ct, SharedInformerFactory? informers = null)
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

        var ownInformers = informers is null ? new SharedInformerFactory(client, loggers) : null;
        var factory = informers ?? ownInformers!;
        var secrets = factory.Informer<V1Secret>(ResourceType.Secret, new InformerOptions { Namespace = options.ReleaseNamespace, LabelSelector = ApiKeys.KeyLabel });
        var namespaces = factory.Informer<V1Namespace>(ResourceType.Namespace, new InformerOptions { LabelSelector = VersGroup.OrgLabel });
        var forks = factory.Informer<RepositoryFork>(RepositoryFork.Type, new InformerOptions { LabelSelector = $"{ForkService.CreatedByLabel}={ForkService.CreatedBy}" });
        var repositories = factory.Informer<Repository>(Repository.Type);
        // updated_at is the newest managedFields time: keep the entries, drop their field sets.
        var tags = factory.Informer<Tag>(Tag.Type, new InformerOptions { Transform = InformerTransforms.StripManagedFieldSets });
        var vms = factory.Informer<GenericObject>(KubeVirtTypes.VirtualMachine, options.SlimVmCache ? new InformerOptions { Transform = VmCatalog.Slim } : null);
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
        var caches = new Caches(secrets, namespaces, forks, repositories, tags, vms);
        MapEndpoints(app, () => caches.Synced() && (options.ReadinessCheck?.Invoke() ?? true), serveMetrics: options.MetricsListen is null);

        factory.Start();
        MetricsServer? metrics = null;
        try
        {
            await caches.WaitForSyncAsync(ct);
            metrics = options.MetricsListen is { } metricsListen ? await MetricsServer.StartAsync(metricsListen, ct) : null;
            await app.StartAsync(ct);
        }
        catch
        {
            if (ownInformers is not null)
            {
                await ownInformers.DisposeAsync();
            }

            if (metrics is not null)
            {
                await metrics.DisposeAsync();
            }

            throw;
        }

        var server = new ApiShimServer(app, metrics, ownInformers, caches);

        server.BaseAddress = AddressOf(app);
        return server;
    }

    /// <summary>The informers the API answers from (held here, so that the heap breakdown of the host finds them).</summary>
    private sealed record Caches(
        ResourceInformer<V1Secret> Secrets,
        ResourceInformer<V1Namespace> Namespaces,
        ResourceInformer<RepositoryFork> Forks,
        ResourceInformer<Repository> Repositories,
        ResourceInformer<Tag> Tags,
        ResourceInformer<GenericObject> Vms)
    {
        public bool Synced() =>
            Secrets.HasSynced && Namespaces.HasSynced && Forks.HasSynced && Repositories.HasSynced && Tags.HasSynced && Vms.HasSynced;

        public Task WaitForSyncAsync(CancellationToken ct) => Task.WhenAll(
            Secrets.WaitForSyncAsync(ct), Namespaces.WaitForSyncAsync(ct), Forks.WaitForSyncAsync(ct),
            Repositories.WaitForSyncAsync(ct), Tags.WaitForSyncAsync(ct), Vms.WaitForSyncAsync(ct));
    }

    internal static Uri AddressOf(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }

    public bool IsReady => _caches.Synced();

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
        await _app.StopAsync();
        if (_metrics is not null)
        {
            await _metrics.DisposeAsync();
        }

        // A shared factory is stopped by its owner, once its other users are done too.
        if (_ownInformers is not null)
        {
            await _ownInformers.DisposeAsync();
        }

        await _app.DisposeAsync();
    }
}
