using static Vers.LocalCluster.ApiServer.Tests.Registry.Manifests;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Apps;

/// <summary>ValidateDeployment as kube-apiserver answers it (pkg/apis/apps/validation/validation.go), message for message.</summary>
public sealed class DeploymentValidationTests
{
    private const string Prefix = "Deployment.apps \"web\" is invalid: ";

    private static async Task<string> RejectedAsync(string changes)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        return Invalid(await CreateAsync(api, Deployments, Deployment, changes));
    }

    [Fact]
    public async Task Selector_must_match_the_template_labels() =>
        Assert.Equal(Prefix + "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`",
            await RejectedAsync("""{"spec":{"template":{"metadata":{"labels":{"app":"other"}}}}}"""));

    [Fact]
    public async Task Missing_selector_is_required_and_matches_no_template() =>
        Assert.Equal(Prefix + "[spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`]",
            await RejectedAsync("""{"spec":{"selector":null}}"""));

    [Fact]
    public async Task Empty_selector_is_invalid_for_a_deployment() =>
        Assert.Equal(Prefix + "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
            await RejectedAsync("""{"spec":{"selector":{"matchLabels":null}}}"""));

    [Fact]
    public async Task Selector_with_an_unknown_operator_is_an_invalid_label_selector() =>
        Assert.Equal(Prefix + "[spec.selector.matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator, "
                            + "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"app\", Operator:\"Near\", Values:[]string{\"web\"}}}}: invalid label selector]",
            await RejectedAsync("""{"spec":{"selector":{"matchLabels":null,"matchExpressions":[{"key":"app","operator":"Near","values":["web"]}]}}}"""));

    [Fact]
    public async Task Negative_replicas_are_invalid() =>
        Assert.Equal(Prefix + "spec.replicas: Invalid value: -1: must be greater than or equal to 0", await RejectedAsync("""{"spec":{"replicas":-1}}"""));

    [Fact]
    public async Task Recreate_strategy_forbids_rolling_update_parameters() =>
        Assert.Equal(Prefix + "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
            await RejectedAsync("""{"spec":{"strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}}}}"""));

    [Fact]
    public async Task Unknown_strategy_type_is_not_supported() =>
        Assert.Equal(Prefix + "spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\"",
            await RejectedAsync("""{"spec":{"strategy":{"type":"BlueGreen"}}}"""));

    [Fact]
    public async Task MaxUnavailable_and_maxSurge_may_not_both_be_zero() =>
        Assert.Equal(Prefix + "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` is 0",
            await RejectedAsync("""{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":"0%","maxSurge":0}}}}"""));

    [Fact]
    public async Task MaxUnavailable_may_not_exceed_100_percent() =>
        Assert.Equal(Prefix + "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%",
            await RejectedAsync("""{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":"150%"}}}}"""));

    [Fact]
    public async Task MaxSurge_string_must_be_a_percent() =>
        Assert.Equal(Prefix + "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"two\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            await RejectedAsync("""{"spec":{"strategy":{"rollingUpdate":{"maxSurge":"two"}}}}"""));

    [Fact]
    public async Task Progress_deadline_must_exceed_min_ready_seconds() =>
        Assert.Equal(Prefix + "spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds",
            await RejectedAsync("""{"spec":{"minReadySeconds":30,"progressDeadlineSeconds":30}}"""));

    [Fact]
    public async Task Negative_revision_history_limit_is_invalid() =>
        Assert.Equal(Prefix + "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0", await RejectedAsync("""{"spec":{"revisionHistoryLimit":-1}}"""));

    [Fact]
    public async Task Template_needs_a_container() =>
        Assert.Equal(Prefix + "spec.template.spec.containers: Required value", await RejectedAsync("""{"spec":{"template":{"spec":{"containers":[]}}}}"""));

    [Fact]
    public async Task Container_name_must_be_a_DNS_label() =>
        Assert.Equal(Prefix + "spec.template.spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            await RejectedAsync("""{"spec":{"template":{"spec":{"containers":[{"name":"Web","image":"nginx"}]}}}}"""));

    [Fact]
    public async Task Container_names_must_be_unique() =>
        Assert.Equal(Prefix + "spec.template.spec.containers[1].name: Duplicate value: \"web\"",
            await RejectedAsync("""{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"a"},{"name":"web","image":"b"}]}}}}"""));

    [Fact]
    public async Task Container_needs_an_image() =>
        Assert.Equal(Prefix + "spec.template.spec.containers[0].image: Required value", await RejectedAsync("""{"spec":{"template":{"spec":{"containers":[{"name":"web"}]}}}}"""));

    [Fact]
    public async Task Container_port_must_be_in_range() =>
        Assert.Equal(Prefix + "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            await RejectedAsync("""{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"a","ports":[{"containerPort":70000}]}]}}}}"""));

    [Fact]
    public async Task Container_port_protocol_must_be_supported() =>
        Assert.Equal(Prefix + "spec.template.spec.containers[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            await RejectedAsync("""{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"a","ports":[{"containerPort":80,"protocol":"ICMP"}]}]}}}}"""));

    [Fact]
    public async Task Image_pull_policy_must_be_supported() =>
        Assert.Equal(Prefix + "spec.template.spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
            await RejectedAsync("""{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"a","imagePullPolicy":"Sometimes"}]}}}}"""));

    [Fact]
    public async Task Template_restart_policy_must_be_Always() =>
        Assert.Equal(Prefix + "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
            await RejectedAsync("""{"spec":{"template":{"spec":{"restartPolicy":"Never"}}}}"""));

    [Fact]
    public async Task Selector_cannot_change_on_update()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment, """{"spec":{"template":{"metadata":{"labels":{"app":"web","tier":"front"}}}}}""");
        var r = await api.PatchAsync(Deployments + "/web", """{"spec":{"selector":{"matchLabels":{"app":null,"tier":"front"}}}}""");
        Assert.Equal(Prefix + "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"tier\":\"front\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
            Invalid(r));
    }

    [Fact]
    public async Task Name_that_is_not_a_DNS_label_is_created_with_a_warning()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, Deployments, Deployment, """{"metadata":{"name":"web.v1"}}""");
        Assert.Equal(["299 - \"metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]\""],
            r.Warnings);
    }
}
