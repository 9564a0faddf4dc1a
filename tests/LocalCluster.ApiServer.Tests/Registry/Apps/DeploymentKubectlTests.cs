namespace Vers.LocalCluster.ApiServer.Tests.Registry.Apps;

/// <summary>Deployments driven with the real kubectl: what it sends, prints and reports of the server's answers.</summary>
public sealed class DeploymentKubectlTests
{
    private const string WebManifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
        spec:
          replicas: REPLICAS
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: LABEL
            spec:
              containers:
              - name: web
                image: nginx:1.27
        """;

    /// <summary>
    /// <c>kubectl create deployment web --image=nginx</c>: the object kubectl builds, created through the dynamic
    /// client (the typed client of <c>kubectl create deployment</c> itself sends protobuf, which this server does not read).
    /// </summary>
    private static async Task<string> CreateWebAsync(KubectlHarness k)
    {
        var manifest = await k.OkAsync("create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o", "yaml");
        return await k.OkInAsync(manifest, "create", "-f", "-");
    }

    private static string Web(string replicas = "1", string label = "web") =>
        WebManifest.Replace("REPLICAS", replicas, StringComparison.Ordinal).Replace("LABEL", label, StringComparison.Ordinal);

    [Fact]
    public async Task Get_yaml_of_a_created_deployment_shows_the_server_defaults()
    {
        await using var k = await KubectlHarness.StartAsync();
        Assert.Equal("deployment.apps/web created\n", await CreateWebAsync(k));
        var yaml = await k.OkAsync("get", "deploy", "web", "-o", "yaml");
        foreach (var line in new[]
                 {
                     "  generation: 1\n", "  progressDeadlineSeconds: 600\n", "  replicas: 1\n", "  revisionHistoryLimit: 10\n",
                     "      maxSurge: 25%\n", "      maxUnavailable: 25%\n", "    type: RollingUpdate\n",
                     "        imagePullPolicy: Always\n", "        terminationMessagePath: /dev/termination-log\n", "        terminationMessagePolicy: File\n",
                     "      dnsPolicy: ClusterFirst\n", "      restartPolicy: Always\n", "      schedulerName: default-scheduler\n",
                     "      securityContext: {}\n", "      terminationGracePeriodSeconds: 30\n", "status: {}\n",
                 })
        {
            Assert.Contains(line, yaml, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Scale_sets_the_replicas_that_get_deploy_shows()
    {
        await using var k = await KubectlHarness.StartAsync();
        await CreateWebAsync(k);
        Assert.Equal("deployment.apps/web scaled\n", await k.OkAsync("scale", "deployment", "web", "--replicas=3"));
        Assert.Equal("3", await k.OkAsync("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));
        Assert.Matches(@"^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0/3\s+0\s+0\s+\d+s\n$", await k.OkAsync("get", "deploy"));
    }

    [Fact]
    public async Task Scale_with_a_current_replicas_precondition_goes_through_a_put()
    {
        await using var k = await KubectlHarness.StartAsync();
        await CreateWebAsync(k);
        Assert.Equal("deployment.apps/web scaled\n", await k.OkAsync("scale", "deployment", "web", "--current-replicas=1", "--replicas=2"));
        Assert.Equal("2", await k.OkAsync("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));
    }

    [Fact]
    public async Task Apply_of_a_string_replicas_reports_the_decoding_error()
    {
        await using var k = await KubectlHarness.StartAsync();
        var err = await k.FailsAsync(Web(replicas: "\"two\""), "apply", "-f", "-");
        Assert.Equal("Error from server (BadRequest): error when creating \"STDIN\": Deployment in version \"v1\" cannot be handled as a Deployment: "
                     + "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32\n", err);
    }

    [Fact]
    public async Task Apply_of_a_selector_that_misses_the_template_labels_is_invalid()
    {
        await using var k = await KubectlHarness.StartAsync();
        var err = await k.FailsAsync(Web(label: "other"), "apply", "-f", "-");
        Assert.Equal("The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`\n", err);
    }
}
