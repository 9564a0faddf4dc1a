using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.Operator.Forks;
using Vers.Operator.Runtime.LeaderElection;

namespace Vers.Operator.Hosting;

/// <summary>
/// The operator as a process on a cluster: health and metrics on <c>--health-listen</c> (default
/// http://0.0.0.0:8081), leader election on a Lease, reconciling only while leader. Losing the lease
/// stops the process, as controller-runtime does, so a restarted pod campaigns afresh.
/// </summary>
public static class OperatorHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        var listen = builder.Configuration["health-listen"] ?? "http://0.0.0.0:8081";
        builder.WebHost.UseUrls(listen);
        var config = builder.Configuration["kubeconfig"] is { } path
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
            : KubernetesClientConfiguration.BuildDefaultConfig();
        config.UserAgent = "vers-operator/0.1";
        var client = new Kubernetes(config);
        builder.Services.AddSingleton<IKubernetes>(client);
        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var logger = loggers.CreateLogger("Vers.Operator");
        var leaseNamespace = builder.Configuration["leader-election-namespace"]
            ?? Environment.GetEnvironmentVariable("POD_NAMESPACE")
            ?? config.Namespace
            ?? "default";
        var defaults = new VersOperatorOptions();
        var options = defaults with
        {
            LeaderElection = builder.Configuration["leader-elect"] == "false" ? null : new LeaderElectionOptions(leaseNamespace, "vers-operator-leader"),
            Forks = new ForkOptions
            {
                CloneTimeout = Flags.Duration(builder.Configuration, "clone-timeout", defaults.Forks.CloneTimeout),
                StartTimeout = Flags.Duration(builder.Configuration, "start-timeout", defaults.Forks.StartTimeout),
                SnapshotTimeout = Flags.Duration(builder.Configuration, "snapshot-timeout", defaults.Forks.SnapshotTimeout),
            },
            Workers = Flags.Int(builder.Configuration, "max-concurrent-reconciles", defaults.Workers),
            RequeueBaseDelay = Flags.Duration(builder.Configuration, "requeue-base-delay", defaults.RequeueBaseDelay),
            RequeueMaxDelay = Flags.Duration(builder.Configuration, "requeue-max-delay", defaults.RequeueMaxDelay),
        };
        await using var versOperator = new VersOperator(client, loggers, options);

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", () => versOperator.IsReady ? Results.Text("ok") : Results.Text("informers not synced", statusCode: 503));
        app.MapMetrics("/metrics");

        await app.StartAsync();
        await versOperator.StartAsync(lifetime.ApplicationStopping);
        // Like controller-runtime: a replica that lost its lease exits, and its restart campaigns afresh.
        versOperator.LeadershipLost.Register(() =>
        {
            logger.LogWarning("Leader election lost; stopping");
            lifetime.StopApplication();
        });
        await app.WaitForShutdownAsync();
        return 0;
    }
}
