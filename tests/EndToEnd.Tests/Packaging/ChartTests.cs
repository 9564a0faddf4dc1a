using System.Text.Json.Nodes;
using Vers.Operator.Hosting;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>The Helm chart and config/ as files: lint, render (defaults and every option on), CRDs, RBAC shape, pod hardening.</summary>
public sealed class ChartTests
{
    private static string Root => SamplesTests.RepositoryRoot();

    [Fact]
    public async Task Helm_lint_passes_with_default_values_and_with_every_option_on()
    {
        SkipWithoutHelm();

        var plain = await Helm.RunAsync("lint", "--strict", Helm.ChartPath);
        var allOn = await Helm.RunAsync(["lint", "--strict", Helm.ChartPath, .. Helm.AllFeaturesOn]);

        Assert.True(plain.ExitCode == 0, plain.Stdout + plain.Stderr);
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", plain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[WARNING]", plain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[ERROR]", plain.Stdout, StringComparison.Ordinal);
        Assert.True(allOn.ExitCode == 0, allOn.Stdout + allOn.Stderr);
    }

    [Fact]
    public async Task Default_values_render_the_operator_the_shim_and_their_rbac()
    {
        SkipWithoutHelm();

        var objects = Manifests.Parse(await Helm.TemplateAsync());

        Assert.Equal(
            [
                "ClusterRole vers-api-shim", "ClusterRole vers-editor", "ClusterRole vers-operator", "ClusterRole vers-operator-clone-source", "ClusterRole vers-viewer",
                "ClusterRoleBinding vers-api-shim", "ClusterRoleBinding vers-operator",
                "Deployment vers-system/vers-api-shim", "Deployment vers-system/vers-operator",
                "PodDisruptionBudget vers-system/vers-api-shim", "PodDisruptionBudget vers-system/vers-operator",
                "Role vers-system/vers-api-shim-keys", "Role vers-system/vers-operator-leader-election",
                "RoleBinding vers-system/vers-api-shim-keys", "RoleBinding vers-system/vers-operator-leader-election",
                "Service vers-system/vers-api-shim", "Service vers-system/vers-operator-metrics",
                "ServiceAccount vers-system/vers-api-shim", "ServiceAccount vers-system/vers-operator",
            ],
            objects.Select(Manifests.Id).Order(StringComparer.Ordinal));
        var editor = objects.OfKind("ClusterRole").Single(r => Manifests.Name(r) == "vers-editor");
        var viewer = objects.OfKind("ClusterRole").Single(r => Manifests.Name(r) == "vers-viewer");
        Assert.Equal("true", (string?)editor["metadata"]!["labels"]!["rbac.authorization.k8s.io/aggregate-to-edit"]);
        Assert.Equal("true", (string?)viewer["metadata"]!["labels"]!["rbac.authorization.k8s.io/aggregate-to-view"]);
    }

    [Fact]
    public async Task Every_optional_feature_renders()
    {
        SkipWithoutHelm();

        var objects = Manifests.Parse(await Helm.TemplateAsync(Helm.AllFeaturesOn));
        var ids = objects.Select(Manifests.Id).ToList();

        Assert.Contains("ServiceMonitor vers-system/vers", ids);
        Assert.Contains("NetworkPolicy vers-system/vers-operator", ids);
        Assert.Contains("NetworkPolicy vers-system/vers-api-shim", ids);
        Assert.Contains("Namespace acme", ids);
        Assert.Contains("Namespace beta", ids);
        Assert.Contains("RoleBinding acme/vers-editor", ids);
        Assert.Contains("RoleBinding acme/vers-viewer", ids);
        var beta = objects.OfKind("Namespace").Single(n => Manifests.Name(n) == "beta");
        Assert.Equal("Beta_Org", (string?)beta["metadata"]!["labels"]!["vers.sh/org"]);
        Assert.Equal("keep", (string?)beta["metadata"]!["annotations"]!["helm.sh/resource-policy"]);
        var keys = objects.OfKind("Role").Single(r => Manifests.Name(r) == "vers-api-shim-keys");
        Assert.Contains("create", Rbac.Expand(keys, null).Select(g => g.Verb));
    }

    [Fact]
    public async Task The_values_schema_rejects_unsupported_kubevirt_versions_and_bad_durations()
    {
        SkipWithoutHelm();

        var version = await Helm.RunAsync("template", "vers", Helm.ChartPath, "--set", "kubevirt.apiVersions.virtualMachineClone=clone.kubevirt.io/v1alpha1");
        var duration = await Helm.RunAsync("template", "vers", Helm.ChartPath, "--set", "operator.timeouts.clone=15 minutes");
        var typo = await Helm.RunAsync("template", "vers", Helm.ChartPath, "--set", "operator.replica=3");

        Assert.NotEqual(0, version.ExitCode);
        Assert.Contains("clone.kubevirt.io/v1beta1", version.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, duration.ExitCode);
        Assert.NotEqual(0, typo.ExitCode);
    }

    [Fact]
    public async Task Pods_are_hardened_probed_and_bounded()
    {
        SkipWithoutHelm();

        var deployments = Manifests.Parse(await Helm.TemplateAsync()).OfKind("Deployment").ToList();

        Assert.Equal(2, deployments.Count);
        foreach (var deployment in deployments)
        {
            var pod = deployment["spec"]!["template"]!["spec"]!.AsObject();
            var container = pod["containers"]!.AsArray().Single()!.AsObject();
            var because = Manifests.Id(deployment);
            Assert.True(2 == (long)deployment["spec"]!["replicas"]!, because);
            Assert.True(true == (bool?)pod["securityContext"]!["runAsNonRoot"], because);
            Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
            Assert.True(true == (bool?)container["securityContext"]!["readOnlyRootFilesystem"], because);
            Assert.True(false == (bool?)container["securityContext"]!["allowPrivilegeEscalation"], because);
            Assert.Equal(["ALL"], container["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
            Assert.Equal("/healthz", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
            Assert.Equal("/readyz", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
            Assert.NotNull(container["resources"]!["requests"]!["memory"]);
            Assert.NotNull(container["resources"]!["limits"]!["memory"]);
            Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/tmp");
            Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "POD_NAMESPACE" && (string?)e["valueFrom"]!["fieldRef"]!["fieldPath"] == "metadata.namespace");
        }

        var operatorPod = deployments.Single(d => Manifests.Name(d) == "vers-operator")["spec"]!["template"]!["spec"]!;
        var operatorContainer = operatorPod["containers"]![0]!;
        var args = operatorContainer["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Contains("--leader-elect=true", args);
        Assert.Contains("--health-listen=http://0.0.0.0:8081", args);
        Assert.Contains("--clone-timeout=15m", args);
        Assert.Contains(operatorContainer["env"]!.AsArray(), e => (string?)e!["name"] == "POD_NAME" && (string?)e["valueFrom"]!["fieldRef"]!["fieldPath"] == "metadata.name");
        Assert.Equal("health", (string?)operatorContainer["livenessProbe"]!["httpGet"]!["port"]);
        Assert.Contains(operatorContainer["ports"]!.AsArray(), p => (string?)p!["name"] == "health" && (long)p["containerPort"]! == 8081);
    }

    [Fact]
    public void The_charts_crds_are_identical_to_config_crds()
    {
        var config = Path.Combine(Root, "config", "crds");
        var chart = Path.Combine(Root, "charts", "vers", "crds");

        var configFiles = Directory.GetFiles(config).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var chartFiles = Directory.GetFiles(chart).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(configFiles, chartFiles);
        Assert.NotEmpty(configFiles);
        foreach (var file in configFiles)
        {
            Assert.True(
                File.ReadAllText(Path.Combine(config, file!)) == File.ReadAllText(Path.Combine(chart, file!)),
                $"charts/vers/crds/{file} differs from config/crds/{file}; run: dotnet run --project src/Operator -- crds");
        }
    }

    [Fact]
    public async Task No_role_grants_a_wildcard_in_the_chart_or_in_config_rbac()
    {
        SkipWithoutHelm();

        var roles = Manifests.Parse(await Helm.TemplateAsync(Helm.AllFeaturesOn)).OfKind(Rbac.RoleKinds)
            .Concat(Manifests.ParseFiles(Path.Combine(Root, "config", "rbac")).OfKind(Rbac.RoleKinds))
            .ToList();

        Assert.NotEmpty(roles);
        foreach (var role in roles)
        {
            foreach (var rule in Rbac.Rules(role))
            {
                foreach (var field in new[] { "apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs" })
                {
                    Assert.DoesNotContain(Rbac.Strings(rule, field), v => v.Contains('*', StringComparison.Ordinal));
                }
            }
        }
    }

    [Fact]
    public async Task Config_rbac_has_exactly_the_charts_roles_bindings_and_service_accounts()
    {
        SkipWithoutHelm();

        var chart = Manifests.Parse(await Helm.TemplateAsync()).OfKind([.. Rbac.RoleKinds, "RoleBinding", "ClusterRoleBinding", "ServiceAccount"]).ToList();
        var config = Manifests.ParseFiles(Path.Combine(Root, "config", "rbac"));

        Assert.Equal(chart.Select(Manifests.Id).Order(StringComparer.Ordinal), config.Select(Manifests.Id).Order(StringComparer.Ordinal));
        foreach (var role in chart.OfKind(Rbac.RoleKinds))
        {
            var twin = config.Single(c => Manifests.Id(c) == Manifests.Id(role));
            Assert.True(Rbac.Normalised(role).SequenceEqual(Rbac.Normalised(twin)), $"{Manifests.Id(role)}: config/rbac and the chart differ");
            Assert.Equal(Labels(role, "rbac.authorization.k8s.io/"), Labels(twin, "rbac.authorization.k8s.io/"));
        }

        foreach (var binding in chart.OfKind("RoleBinding", "ClusterRoleBinding"))
        {
            var twin = config.Single(c => Manifests.Id(c) == Manifests.Id(binding));
            Assert.Equal(binding["roleRef"]!.ToJsonString(), twin["roleRef"]!.ToJsonString());
            Assert.Equal(binding["subjects"]!.ToJsonString(), twin["subjects"]!.ToJsonString());
        }
    }

    [Theory]
    [InlineData("15m", 900_000)]
    [InlineData("90s", 90_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("5ms", 5)]
    [InlineData("16m40s", 1_000_000)]
    [InlineData("00:02:00", 120_000)]
    public void Operator_duration_flags_accept_go_durations_like_the_chart_values(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Flags.ParseDuration(text));

    [Theory]
    [InlineData("15")]
    [InlineData("15 m")]
    [InlineData("m")]
    public void Operator_duration_flags_reject_other_text(string text) => Assert.Null(Flags.ParseDuration(text));

    private static List<string> Labels(JsonObject o, string prefix) =>
        (o["metadata"]!["labels"]?.AsObject() ?? []).Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(kv => $"{kv.Key}={kv.Value}").Order(StringComparer.Ordinal).ToList();

    internal static void SkipWithoutHelm()
    {
        if (Helm.Path is null)
        {
            Assert.Skip(Helm.SkipReason);
        }
    }
}
