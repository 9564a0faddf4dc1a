using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.Kube.LeaderElection;

namespace Vers.Operator.Hosting;

/// <summary>
/// The operator as a process on a cluster (its flags: <see cref="OperatorCommandLine"/>): health and metrics on
/// <c>--health-listen</c>, leader election on a Lease, reconciling only while leader. Losing the lease
/// stops the process, as controller-runtime does, so a restarted pod campaigns afresh.
/// </summary>
public static class OperatorHost
{
    public static async Task<int> RunAsync(OperatorArguments arguments)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.WebHost.UseUrls(arguments.HealthListen);
        var config = arguments.Kubeconfig is { } path
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
            : KubernetesClientConfiguration.BuildDefaultConfig();
        config.UserAgent = "vers-operator/0.1";
        var client = new Kubernetes(config);
        builder.Services.AddSingleton<IKubernetes>(client);
        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var logger = loggers.CreateLogger("Vers.Operator");
        var leaseNamespace = arguments.LeaderElectionNamespace
            ?? Environment.GetEnvironmentVariable("POD_NAMESPACE")
            ?? config.Namespace
            ?? "default";
        var options = arguments.Options with
        {
            LeaderElection = arguments.LeaderElect ? new LeaderElectionOptions(leaseNamespace, OperatorCommandLine.LeaseName) : null,
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
