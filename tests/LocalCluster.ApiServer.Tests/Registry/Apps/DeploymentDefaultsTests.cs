using System.Net;
using Vers.LocalCluster.ApiServer.Registry.Core;
using static Vers.LocalCluster.ApiServer.Tests.Registry.Manifests;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Apps;

/// <summary>What decoding an apps/v1 Deployment fills in: SetDefaults_Deployment and the pod template's defaults.</summary>
public sealed class DeploymentDefaultsTests
{
    [Fact]
    public async Task Spec_gets_one_replica_a_25_percent_rolling_update_ten_revisions_and_a_600s_deadline()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, Deployments, Deployment);
        Assert.Equal("1", r.Str("spec", "replicas"));
        Assert.Equal("""{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}}""", r.Body!["spec"]!["strategy"]!.ToJsonString());
        Assert.Equal("10", r.Str("spec", "revisionHistoryLimit"));
        Assert.Equal("600", r.Str("spec", "progressDeadlineSeconds"));
    }

    [Fact]
    public async Task Given_zero_replicas_and_a_given_maxSurge_are_kept()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, Deployments, Deployment, """{"spec":{"replicas":0,"strategy":{"rollingUpdate":{"maxSurge":2}}}}""");
        Assert.Equal("0", r.Str("spec", "replicas"));
        Assert.Equal("""{"maxSurge":2,"maxUnavailable":"25%"}""", r.Body!["spec"]!["strategy"]!["rollingUpdate"]!.ToJsonString());
    }

    [Fact]
    public async Task Recreate_strategy_gets_no_rolling_update_parameters()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, Deployments, Deployment, """{"spec":{"strategy":{"type":"Recreate"}}}""");
        Assert.Equal("""{"type":"Recreate"}""", r.Body!["spec"]!["strategy"]!.ToJsonString());
    }

    [Fact]
    public async Task Pod_template_spec_gets_restart_policy_grace_period_dns_policy_scheduler_and_security_context()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, Deployments, Deployment);
        var spec = r.Body!["spec"]!["template"]!["spec"]!;
        Assert.Equal("Always", spec["restartPolicy"]!.ToString());
        Assert.Equal("30", spec["terminationGracePeriodSeconds"]!.ToJsonString());
        Assert.Equal("ClusterFirst", spec["dnsPolicy"]!.ToString());
        Assert.Equal("default-scheduler", spec["schedulerName"]!.ToString());
        Assert.Equal("{}", spec["securityContext"]!.ToJsonString());
        Assert.Null(spec["enableServiceLinks"]);
    }

    [Fact]
    public async Task Containers_get_termination_message_defaults_a_pull_policy_and_TCP_ports()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, Deployments, Deployment,
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}]}]}}}}""");
        var container = r.Body!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("/dev/termination-log", container["terminationMessagePath"]!.ToString());
        Assert.Equal("File", container["terminationMessagePolicy"]!.ToString());
        Assert.Equal("IfNotPresent", container["imagePullPolicy"]!.ToString());
        Assert.Equal("TCP", container["ports"]![0]!["protocol"]!.ToString());
    }

    [Fact]
    public async Task Probes_get_timeouts_periods_thresholds_and_an_http_path_and_scheme()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, Deployments, Deployment,
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27","readinessProbe":{"httpGet":{"port":80}}}]}}}}""");
        var probe = r.Body!["spec"]!["template"]!["spec"]!["containers"]![0]!["readinessProbe"]!;
        Assert.Equal("""{"httpGet":{"port":80,"path":"/","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3}""", probe.ToJsonString());
    }

    [Theory]
    [InlineData("nginx", "Always")]
    [InlineData("nginx:latest", "Always")]
    [InlineData("registry.local:5000/team/app", "Always")]
    [InlineData("nginx:1.27", "IfNotPresent")]
    [InlineData("registry.local:5000/team/app:v2", "IfNotPresent")]
    [InlineData("nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000", "IfNotPresent")]
    [InlineData("Nginx", "IfNotPresent")]
    public void Image_pull_policy_is_Always_for_the_latest_tag_which_an_untagged_image_has(string image, string policy) =>
        Assert.Equal(policy, PodTemplateDefaults.PullPolicyFor(image));

    [Fact]
    public async Task A_string_replicas_is_the_decoders_400()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreateAsync(api, Deployments, Deployment, """{"spec":{"replicas":"two"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.Code);
        Assert.Equal("Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32", r.Str("message"));
    }
}
