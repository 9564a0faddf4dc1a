using System.Text.Json.Nodes;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>
/// The chart wires the fork API's metrics listener: the shim serves /metrics on its own port (--metrics-listen), the
/// Service names that port "metrics", the ServiceMonitor scrapes only ports named so, and the NetworkPolicy opens the
/// metrics port to metricsIngressFrom and the API port to apiIngressFrom, each alone.
/// </summary>
public sealed class MetricsListenerChartTests
{
    private static async Task<List<JsonObject>> RenderAsync(params string[] args) => Manifests.Parse(await Helm.TemplateAsync(args));

    private static JsonObject Single(List<JsonObject> objects, string kind, string name) =>
        objects.OfKind(kind).Single(o => Manifests.Name(o) == name);

    [Fact]
    public async Task The_shim_serves_metrics_on_its_own_named_port_and_the_service_exposes_it()
    {
        ChartTests.SkipWithoutHelm();

        var objects = await RenderAsync("--set", "apiShim.metricsPort=9191");

        var container = Single(objects, "Deployment", "vers-api-shim")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Contains("--metrics-listen=http://0.0.0.0:9191", container["args"]!.AsArray().Select(a => (string?)a));
        Assert.Contains(container["ports"]!.AsArray(), p => (string?)p!["name"] == "metrics" && (long)p["containerPort"]! == 9191);
        var ports = Single(objects, "Service", "vers-api-shim")["spec"]!["ports"]!.AsArray();
        Assert.Contains(ports, p => (string?)p!["name"] == "metrics" && (string?)p["targetPort"] == "metrics" && (long)p["port"]! == 9191);
    }

    [Fact]
    public async Task The_service_monitor_scrapes_the_ports_named_metrics_only()
    {
        ChartTests.SkipWithoutHelm();

        var monitor = Single(await RenderAsync("--set", "metrics.serviceMonitor.enabled=true"), "ServiceMonitor", "vers");

        var endpoints = monitor["spec"]!["endpoints"]!.AsArray();
        Assert.Equal(["metrics"], endpoints.Select(e => (string?)e!["port"]));
        Assert.Equal("/metrics", (string?)endpoints[0]!["path"]);
    }

    [Fact]
    public async Task The_network_policy_opens_the_metrics_port_to_monitoring_and_the_api_port_to_clients_each_alone()
    {
        ChartTests.SkipWithoutHelm();

        var policy = Single(
            await RenderAsync(
                "--set", "networkPolicy.enabled=true",
                "--set", "networkPolicy.apiIngressFrom[0].namespaceSelector.matchLabels.ingress=true",
                "--set", "networkPolicy.metricsIngressFrom[0].namespaceSelector.matchLabels.monitoring=true"),
            "NetworkPolicy",
            "vers-api-shim");

        var rules = policy["spec"]!["ingress"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var api = rules.Single(r => (long)r["ports"]![0]!["port"]! == 8080);
        var metrics = rules.Single(r => (long)r["ports"]![0]!["port"]! == 9090);
        Assert.Equal("true", api["from"]!.AsArray().Single()!["namespaceSelector"]!["matchLabels"]!["ingress"]!.ToString());
        Assert.Equal("true", metrics["from"]!.AsArray().Single()!["namespaceSelector"]!["matchLabels"]!["monitoring"]!.ToString());
    }

    [Fact]
    public void The_image_exposes_the_metrics_port_the_chart_defaults_to()
    {
        var root = SamplesTests.RepositoryRoot();
        var dockerfile = File.ReadAllText(Path.Combine(root, "src", "ApiShim", "Dockerfile"));
        var values = File.ReadAllText(Path.Combine(root, "charts", "vers", "values.yaml"));

        Assert.Contains("EXPOSE 8080 9090", dockerfile, StringComparison.Ordinal);
        Assert.Contains("metricsPort: 9090", values, StringComparison.Ordinal);
        Assert.Equal("http://0.0.0.0:9090", Vers.ApiShim.Hosting.ApiShimCommandLine.DefaultMetricsListen);
    }
}
