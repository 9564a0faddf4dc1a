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
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Informers;

namespace Vers.ApiShim.Hosting;

/// <summary>
/// The fork API as a running HTTP server: Kestrel on <see cref="ApiShimOptions.Listen"/>, plus the
/// informers it answers from (API key Secrets, org namespaces, the RepositoryForks it created).
/// </summary>
public sealed class ApiShimServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _informers;
    private readonly Func<bool> _synced;

    private ApiShimServer(WebApplication app, Task informers, Func<bool> synced)
    {
        _app = app;
        _informers = informers;
        _synced = synced;
    }

    public Uri BaseAddress { get; private set; } = null!;

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
            // Plain-text HTTP/2 needs prior knowledge no client of this API uses; TLS terminates in front (ingress).
            k.ConfigureEndpointDefaults(listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
        });

        var secrets = new ResourceInformer<V1Secret>(
            client, ResourceType.Secret, loggers, new InformerOptions { Namespace = options.ReleaseNamespace, LabelSelector = ApiKeys.KeyLabel });
        var namespaces = new ResourceInformer<V1Namespace>(client, ResourceType.Namespace, loggers, new InformerOptions { LabelSelector = VersGroup.OrgLabel });
        var forks = new ResourceInformer<RepositoryFork>(
            client, RepositoryFork.Type, loggers, new InformerOptions { LabelSelector = $"{ForkService.CreatedByLabel}={ForkService.CreatedBy}" });
        var repositories = new ResourceInformer<Repository>(client, Repository.Type, loggers);
        // updated_at is the newest managedFields time: keep the entries, drop their field sets.
        var tags = new ResourceInformer<Tag>(client, Tag.Type, loggers, new InformerOptions { Transform = InformerTransforms.StripManagedFieldSets });
        var orgs = new OrgDirectory(namespaces);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(orgs);
        builder.Services.AddSingleton(forks);
        builder.Services.AddSingleton(new ApiKeyAuthenticator(secrets, options.ReleaseNamespace));
        builder.Services.AddSingleton(_ => new OrgRateLimiter(options.RateLimit));
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddSingleton(new ForkWaiter(forks));
        builder.Services.AddSingleton<ForkService>();
        builder.Services.AddSingleton(new RepositoryCatalog(repositories, tags, orgs));
        builder.Services.AddOpenApi("v1", ForkApiDocument.Configure);

        var app = builder.Build();
        var stop = new CancellationTokenSource();
        bool Synced() => secrets.HasSynced && namespaces.HasSynced && forks.HasSynced && repositories.HasSynced && tags.HasSynced;
        MapEndpoints(app, () => Synced() && (options.ReadinessCheck?.Invoke() ?? true));

        var informers = Task.WhenAll(
            Task.Run(() => secrets.RunAsync(stop.Token), CancellationToken.None),
            Task.Run(() => namespaces.RunAsync(stop.Token), CancellationToken.None),
            Task.Run(() => forks.RunAsync(stop.Token), CancellationToken.None),
            Task.Run(() => repositories.RunAsync(stop.Token), CancellationToken.None),
            Task.Run(() => tags.RunAsync(stop.Token), CancellationToken.None));
        await Task.WhenAll(
            secrets.WaitForSyncAsync(ct), namespaces.WaitForSyncAsync(ct), forks.WaitForSyncAsync(ct), repositories.WaitForSyncAsync(ct), tags.WaitForSyncAsync(ct));
        await app.StartAsync(ct);
        var server = new ApiShimServer(app, informers, Synced);
        server._stop.Token.Register(stop.Cancel);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    public bool IsReady => _synced();

    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    private static void MapEndpoints(WebApplication app, Func<bool> ready)
    {
        // Every error answer, including unknown routes and wrong methods, carries the API's error body.
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (!response.HasStarted && response.ContentLength is null or 0)
            {
                var message = response.StatusCode switch
                {
                    StatusCodes.Status404NotFound => $"no such endpoint: {context.HttpContext.Request.Method} {context.HttpContext.Request.Path}",
                    StatusCodes.Status415UnsupportedMediaType =>
                        $"Content-Type must be application/json, not {(context.HttpContext.Request.ContentType is { Length: > 0 } type ? type : "missing")}",
                    StatusCodes.Status405MethodNotAllowed => $"method {context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}",
                    _ => $"request failed with status {response.StatusCode}",
                };
                await response.WriteAsJsonAsync(new ErrorResponse(message));
            }
        });
        app.UseExceptionHandler(errorApp => errorApp.Run(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(new ErrorResponse("internal server error"));
        }));
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Vers fork API").WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .ExcludeFromDescription();
        app.MapGet("/healthz", () => Results.Text("ok")).ExcludeFromDescription();
        app.MapGet("/readyz", () => ready() ? Results.Text("ok") : Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable))
            .ExcludeFromDescription();
        app.MapMetrics("/metrics");
        app.MapForkEndpoints();
        app.MapRepositoryEndpoints();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _app.StopAsync();
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
