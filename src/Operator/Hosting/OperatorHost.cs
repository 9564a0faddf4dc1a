using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

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
        var client = new Kubernetes(config);
        builder.Services.AddSingleton<IKubernetes>(client);
        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var logger = loggers.CreateLogger("Vers.Operator");
        var options = new VersOperatorOptions();
        await using var versOperator = new VersOperator(client, loggers, options);

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", () => versOperator.IsReady ? Results.Text("ok") : Results.Text("informers not synced", statusCode: 503));
        app.MapMetrics("/metrics");

        var leaseNamespace = builder.Configuration["leader-election-namespace"] ?? config.Namespace ?? "default";
        var leaderElection = builder.Configuration["leader-elect"] != "false";
        await app.StartAsync();
        if (!leaderElection)
        {
            await versOperator.StartAsync(lifetime.ApplicationStopping);
            await app.WaitForShutdownAsync();
            return 0;
        }

        var leaseLock = new LeaseLock(client, leaseNamespace, "vers-operator-leader", options.Identity);
        using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
        {
            LeaseDuration = TimeSpan.FromSeconds(15),
            RenewDeadline = TimeSpan.FromSeconds(10),
            RetryPeriod = TimeSpan.FromSeconds(2),
        });
        var leading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        elector.OnStartedLeading += () => leading.TrySetResult();
        elector.OnStoppedLeading += () =>
        {
            logger.LogWarning("Leader election lost; stopping");
            lifetime.StopApplication();
        };
        _ = Task.Run(() => elector.RunUntilLeadershipLostAsync(lifetime.ApplicationStopping));
        try
        {
            await leading.Task.WaitAsync(lifetime.ApplicationStopping);
            logger.LogInformation("Became leader as {Identity}", options.Identity);
            await versOperator.StartAsync(lifetime.ApplicationStopping);
        }
        catch (OperationCanceledException)
        {
            // Shutting down before leading.
        }

        await app.WaitForShutdownAsync();
        return 0;
    }
}
