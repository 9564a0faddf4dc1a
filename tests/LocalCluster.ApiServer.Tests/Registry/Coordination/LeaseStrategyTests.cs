using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Coordination;

/// <summary>pkg/apis/coordination/validation ValidateLeaseSpec.</summary>
public sealed class LeaseStrategyTests
{
    private static string Lease(string spec) => """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"},"spec":{""" + spec + "}}";

    [Fact]
    public async Task A_lease_as_client_go_writes_it_is_accepted()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(Leases, Lease("\"holderIdentity\":\"op-0\",\"leaseDurationSeconds\":15,\"acquireTime\":\"2026-01-02T03:04:05.000000Z\",\"renewTime\":\"2026-01-02T03:04:05.123456Z\",\"leaseTransitions\":0"));

        Assert.Equal("op-0", r.Str("spec", "holderIdentity"));
    }

    [Fact]
    public async Task A_lease_duration_must_be_positive()
    {
        await using var api = await StartAsync();

        Assert.Equal("Lease.coordination.k8s.io \"l\" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0", await api.FailsAsync(Leases, Lease("\"leaseDurationSeconds\":0")));
    }

    [Fact]
    public async Task Lease_transitions_cannot_be_negative()
    {
        await using var api = await StartAsync();

        Assert.Equal("Lease.coordination.k8s.io \"l\" is invalid: spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0", await api.FailsAsync(Leases, Lease("\"leaseTransitions\":-1")));
    }

    [Fact]
    public async Task A_preferred_holder_needs_a_strategy()
    {
        await using var api = await StartAsync();

        Assert.Equal("Lease.coordination.k8s.io \"l\" is invalid: spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined", await api.FailsAsync(Leases, Lease("\"preferredHolder\":\"op-1\"")));
    }

    [Fact]
    public async Task An_update_with_a_non_positive_duration_is_422()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(Leases, Lease("\"leaseDurationSeconds\":15"));

        var r = await api.Raw.PatchAsync(Leases + "/l", """{"spec":{"leaseDurationSeconds":-5}}""");

        Assert.Equal("Lease.coordination.k8s.io \"l\" is invalid: spec.leaseDurationSeconds: Invalid value: -5: must be greater than 0", r.Str("message"));
    }
}
