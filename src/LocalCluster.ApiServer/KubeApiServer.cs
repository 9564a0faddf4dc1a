using System.Net;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Common;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Controllers;
using Vers.LocalCluster.ApiServer.Discovery;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.OpenApi;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Tables;

namespace Vers.LocalCluster.ApiServer;

/// <summary>
/// An in-process Kubernetes API server (Kestrel) that serves the REST protocol for the built-in kinds we use and for
/// CRDs, faithfully enough for kubectl 1.32 and KubernetesClient. State lives in memory, or with
/// <see cref="KubeApiServerOptions.DataDir"/> in SQLite in a directory this server holds exclusively.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LifecycleController _controller;
    private readonly ApiRequestHandler _handler;

    private KubeApiServer(WebApplication app, ApiRequestHandler handler, LifecycleController controller, Uri baseAddress, ResourceStore store, FaultInjector faults, RequestCounters requests, System.Runtime.CompilerServices.StrongBox<AccessPolicy> access, Authorization.RbacAuthorizer rbac, AdmissionChain admission)
    {
        _access = access;
        _rbac = rbac;
        Admission = admission;
        Faults = faults;
        Requests = requests;
        _app = app;
        _handler = handler;
        _controller = controller;
        BaseAddress = baseAddress;
        Store = store;
    }

    public Uri BaseAddress { get; }

    /// <summary>Fault injection for tests: error rates, latency and watch drops, switchable while the server runs.</summary>
    public FaultInjector Faults { get; }

    /// <summary>
    /// The admission webhooks of this server: register in-process plugins to refuse or change writes as
    /// MutatingAdmissionWebhook and ValidatingAdmissionWebhook would (see <see cref="AdmissionChain"/>).
    /// </summary>
    public AdmissionChain Admission { get; }

    /// <summary>
    /// The policy requests authenticate with (bearer tokens; no token is the cluster admin, an unknown one 401) and
    /// that TokenReview and SubjectAccessReview answer with; replace it or change it at run time.
    /// </summary>
    public AccessPolicy Access
    {
        get => _access.Value!;
        set => _access.Value = (value ?? throw new ArgumentNullException(nameof(value))).Attach(_rbac);
    }

    // Shared with the request handler, which may serve a review before this object exists.
    private readonly System.Runtime.CompilerServices.StrongBox<AccessPolicy> _access;

    private readonly Authorization.RbacAuthorizer _rbac;

    /// <summary>Counts of resource requests by verb, resource and client.</summary>
    public RequestCounters Requests { get; }

    internal ResourceStore Store { get; }

    /// <summary>
    /// Whether storage takes writes now (a durable write; <c>/readyz</c>'s etcd check). Always true in memory.
    /// </summary>
    public bool CheckStorage() => Store.CheckStorage();

    /// <summary>Why storage is failing (its last error), or null while writes succeed.</summary>
    public string? StorageFailure => Store.StorageFailure;

    private IStorageBackend? _backend;

    private DataDirectoryLock? _dataDirLock;

    /// <summary>Objects stored, as the lifecycle controller last counted them (it indexes every object).</summary>
    public int ObjectCount => _controller.ObjectCount;

    private EventExpiry? _eventExpiry;

    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var registry = new ResourceRegistry();

        // The data directory is taken before anything reads it, and released if the server does not start.
        var dataDirLock = options.DataDir is null ? null : DataDirectoryLock.Acquire(options.DataDir);
        IStorageBackend? backend = null;
        try
        {
            backend = options.DataDir is null ? null : SqliteObjectStore.Open(options.DataDir);
            var server = await StartAsync(options, loggerFactory, registry, backend, cancellationToken);
            server._backend = backend;
            server._dataDirLock = dataDirLock;
            return server;
        }
        catch
        {
            backend?.Dispose();
            dataDirLock?.Dispose();
            throw;
        }
    }

    private static async Task<KubeApiServer> StartAsync(KubeApiServerOptions options, ILoggerFactory loggerFactory, ResourceRegistry registry, IStorageBackend? backend, CancellationToken cancellationToken)
    {
        var store = new ResourceStore(backend, registry, options.Time, loggerFactory.CreateLogger<ResourceStore>(), options.WatchHistoryLimit);
        SeedSystemNamespaces(store);
        var faults = new FaultInjector(options.FaultSeed, options.Time);
        var rbac = new Authorization.RbacAuthorizer(store);
        var access = new System.Runtime.CompilerServices.StrongBox<AccessPolicy>((options.Access ?? new AccessPolicy()).Attach(rbac));
        var requests = new RequestCounters();
        var admission = new AdmissionChain();

        var handler = new ApiRequestHandler(
            store,
            new DiscoveryDocuments(registry),
            new OpenApiDocuments(registry, ApiRequestHandler.GitVersion),
            new TableConverter(options.Time),
            options.Time,
            options.ReadinessCheck,
            options.BookmarkInterval,
            faults,
            requests,
            () => access.Value!,
            admission,
            loggerFactory.CreateLogger<ApiRequestHandler>());

        var uri = new Uri(options.Url);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(KubeApiServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = uri.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host);
            k.Listen(address, uri.Port, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2);
            k.Limits.MaxRequestBodySize = 3 * 1024 * 1024;
        });
        var app = builder.Build();
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken);

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var baseAddress = new UriBuilder(uri.Scheme, uri.Host, port, "/").Uri;
        var controller = new LifecycleController(store, admission, loggerFactory.CreateLogger<LifecycleController>());
        var eventExpiry = new EventExpiry(
            store, registry.Builtins.First(t => t.Builtin == BuiltinKind.CoreEvent), options.EventTtl, options.Time, loggerFactory.CreateLogger<EventExpiry>());
        return new KubeApiServer(app, handler, controller, baseAddress, store, faults, requests, access, rbac, admission) { _eventExpiry = eventExpiry };
    }

    /// <summary>The namespaces every cluster has (the system namespaces controller of pkg/controlplane creates them).</summary>
    private static void SeedSystemNamespaces(ResourceStore store)
    {
        foreach (var name in (string[])["default", "kube-system", "kube-public", "kube-node-lease"])
        {
            if (store.Get(store.Registry.Namespaces, "", name) is null)
            {
                store.Create(store.Registry.Namespaces, "", new System.Text.Json.Nodes.JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Namespace",
                    ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = name },
                });
            }
        }
    }

    public KubernetesClientConfiguration CreateClientConfiguration() => new() { Host = BaseAddress.ToString() };

    public IKubernetes CreateClient() => new Kubernetes(CreateClientConfiguration());

    /// <summary>Writes a kubeconfig with cluster, context and user "vers-local", current-context set.</summary>
    public void WriteKubeconfig(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var server = BaseAddress.ToString().TrimEnd('/');
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: vers-local
              cluster:
                server: {server}
            contexts:
            - name: vers-local
              context:
                cluster: vers-local
                user: vers-local
            users:
            - name: vers-local
              user: {"{}"}
            current-context: vers-local
            preferences: {"{}"}

            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _controller.DisposeAsync();
        if (_eventExpiry is not null)
        {
            await _eventExpiry.DisposeAsync();
        }

        _handler.Shutdown();
        await _app.StopAsync(TimeSpan.FromSeconds(2));
        await _app.DisposeAsync();
        Faults.Dispose();
        _backend?.Dispose();
        _dataDirLock?.Dispose();
    }

    /// <summary>
    /// Empties the API server's table of shared strings (see <see cref="Storage.StoredObject"/>): for a host that has just
    /// deleted most of what it stored, so the table stops keeping the deleted objects' names and uids alive.
    /// </summary>
    public static void ForgetSharedStrings() => SharedStrings.Clear();
}
