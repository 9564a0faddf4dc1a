using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Registry.Manifests;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Policy;

/// <summary>PodDisruptionBudget as pkg/registry/policy/poddisruptionbudget/strategy.go and policy validation answer.</summary>
public sealed class PodDisruptionBudgetTests
{
    private const string Prefix = "PodDisruptionBudget.policy \"web\" is invalid: ";

    private static async Task<string> RejectedAsync(string changes)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        return Invalid(await CreateAsync(api, PodDisruptionBudgets, PodDisruptionBudget, changes));
    }

    [Fact]
    public async Task MinAvailable_and_maxUnavailable_are_exclusive() =>
        Assert.Equal(Prefix + "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000010000), Selector:(*v1.LabelSelector)(0xc000010000), "
                            + "MaxUnavailable:(*intstr.IntOrString)(0xc000010000), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set",
            await RejectedAsync("""{"spec":{"maxUnavailable":1}}"""));

    [Fact]
    public async Task MinAvailable_percent_may_not_exceed_100() =>
        Assert.Equal(Prefix + "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%",
            await RejectedAsync("""{"spec":{"minAvailable":"120%"}}"""));

    [Fact]
    public async Task Negative_maxUnavailable_is_invalid() =>
        Assert.Equal(Prefix + "spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0",
            await RejectedAsync("""{"spec":{"minAvailable":null,"maxUnavailable":-1}}"""));

    [Fact]
    public async Task Selector_values_must_be_label_values() =>
        Assert.Equal(Prefix + "spec.selector.matchLabels: Invalid value: \"not valid\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            await RejectedAsync("""{"spec":{"selector":{"matchLabels":{"app":"not valid"}}}}"""));

    [Fact]
    public async Task Unhealthy_pod_eviction_policy_must_be_supported() =>
        Assert.Equal(Prefix + "spec.unhealthyPodEvictionPolicy: Unsupported value: \"Never\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\"",
            await RejectedAsync("""{"spec":{"unhealthyPodEvictionPolicy":"Never"}}"""));

    [Fact]
    public async Task Create_sets_the_zero_status_counts()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, PodDisruptionBudgets, PodDisruptionBudget, """{"status":{"disruptionsAllowed":4}}""");
        Assert.Equal("""{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}""", r.Body!["status"]!.ToJsonString());
    }

    [Fact]
    public async Task Status_counts_cannot_be_negative()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, PodDisruptionBudgets, PodDisruptionBudget);
        var r = await api.PatchAsync(PodDisruptionBudgets + "/web/status", """{"status":{"expectedPods":-1}}""");
        Assert.Equal(Prefix + "status.expectedPods: Invalid value: -1: must be greater than or equal to 0", Invalid(r));
    }

    [Fact]
    public async Task Status_conditions_need_a_reason_and_a_transition_time()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, PodDisruptionBudgets, PodDisruptionBudget);
        var r = await api.PatchAsync(PodDisruptionBudgets + "/web/status", """{"status":{"conditions":[{"type":"DisruptionAllowed","status":"True"}]}}""");
        Assert.Equal(Prefix + "[status.conditions[0].lastTransitionTime: Required value: must be set, status.conditions[0].reason: Required value: must be set]", Invalid(r));
    }

    [Fact]
    public async Task Status_write_with_valid_conditions_is_stored()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, PodDisruptionBudgets, PodDisruptionBudget);
        var r = await api.PatchAsync(PodDisruptionBudgets + "/web/status",
            """{"status":{"disruptionsAllowed":1,"conditions":[{"type":"DisruptionAllowed","status":"True","reason":"SufficientPods","message":"","lastTransitionTime":"2025-01-01T00:00:00Z"}]}}""");
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal("1", r.Str("status", "disruptionsAllowed"));
    }
}
