using static Vers.LocalCluster.ApiServer.Tests.Registry.Manifests;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Networking;

/// <summary>NetworkPolicy as pkg/registry/networking/networkpolicy/strategy.go and networking validation answer.</summary>
public sealed class NetworkPolicyTests
{
    private const string Prefix = "NetworkPolicy.networking.k8s.io \"web\" is invalid: ";

    private static async Task<string> RejectedAsync(string changes)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        return Invalid(await CreateAsync(api, NetworkPolicies, NetworkPolicy, changes));
    }

    [Fact]
    public async Task Missing_pod_selector_is_the_empty_selector_of_all_pods()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await CreatedAsync(api, NetworkPolicies, NetworkPolicy, """{"spec":{"podSelector":null}}""");
        Assert.Equal("{}", r.Body!["spec"]!["podSelector"]!.ToJsonString());
    }

    [Fact]
    public async Task Policy_types_must_be_Ingress_or_Egress() =>
        Assert.Equal(Prefix + "spec.policyTypes[0]: Unsupported value: \"Both\": supported values: \"Ingress\", \"Egress\"",
            await RejectedAsync("""{"spec":{"policyTypes":["Both"]}}"""));

    [Fact]
    public async Task Port_must_be_in_range() =>
        Assert.Equal(Prefix + "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            await RejectedAsync("""{"spec":{"ingress":[{"ports":[{"port":0}]}]}}"""));

    [Fact]
    public async Task End_port_may_not_be_below_port() =>
        Assert.Equal(Prefix + "spec.egress[0].ports[0].endPort: Invalid value: 9000: must be greater than or equal to `port`",
            await RejectedAsync("""{"spec":{"egress":[{"ports":[{"port":9000,"endPort":8000}]}]}}"""));

    [Fact]
    public async Task End_port_needs_a_numeric_port() =>
        Assert.Equal(Prefix + "spec.ingress[0].ports[0].endPort: Invalid value: 9000: may not be specified when `port` is non-numeric",
            await RejectedAsync("""{"spec":{"ingress":[{"ports":[{"port":"http","endPort":9000}]}]}}"""));

    [Fact]
    public async Task Peer_must_name_something() =>
        Assert.Equal(Prefix + "spec.ingress[0].from[0]: Required value: must specify a peer",
            await RejectedAsync("""{"spec":{"ingress":[{"from":[{}]}]}}"""));

    [Fact]
    public async Task Ip_block_peer_stands_alone() =>
        Assert.Equal(Prefix + "spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer",
            await RejectedAsync("""{"spec":{"egress":[{"to":[{"ipBlock":{"cidr":"10.0.0.0/8"},"podSelector":{}}]}]}}"""));

    [Fact]
    public async Task Ip_block_cidr_must_be_a_CIDR() =>
        Assert.Equal(Prefix + "spec.egress[0].to[0].ipBlock.cidr: Invalid value: \"10.0.0.0\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            await RejectedAsync("""{"spec":{"egress":[{"to":[{"ipBlock":{"cidr":"10.0.0.0"}}]}]}}"""));
}
