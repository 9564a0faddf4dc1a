using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Core;

/// <summary>ValidateService and ValidateServiceUpdate (pkg/apis/core/validation), with SetDefaults_Service.</summary>
public sealed class ServiceStrategyTests
{
    private static string Svc(string spec) => """{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{""" + spec + "}}";

    [Fact]
    public async Task Defaults_fill_type_session_affinity_internal_traffic_policy_protocol_and_target_port()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(Services, Svc("\"ports\":[{\"port\":80,\"targetPort\":0}]"));

        Assert.Equal("ClusterIP", r.Str("spec", "type"));
        Assert.Equal("None", r.Str("spec", "sessionAffinity"));
        Assert.Equal("Cluster", r.Str("spec", "internalTrafficPolicy"));
        Assert.Equal("""{"port":80,"targetPort":80,"protocol":"TCP"}""", r.Body!["spec"]!["ports"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task A_service_without_ports_is_422()
    {
        await using var api = await StartAsync();

        Assert.Equal("Service \"s\" is invalid: spec.ports: Required value", await api.FailsAsync(Services, Svc("\"selector\":{\"a\":\"b\"}")));
    }

    [Fact]
    public async Task Several_ports_each_need_a_name()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"ports\":[{\"name\":\"a\",\"port\":80},{\"port\":81}]"));

        Assert.Equal("Service \"s\" is invalid: spec.ports[1].name: Required value", message);
    }

    [Fact]
    public async Task Port_names_are_unique()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"ports\":[{\"name\":\"a\",\"port\":80},{\"name\":\"a\",\"port\":81}]"));

        Assert.Equal("Service \"s\" is invalid: spec.ports[1].name: Duplicate value: \"a\"", message);
    }

    [Fact]
    public async Task A_port_out_of_range_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"ports\":[{\"port\":70000,\"targetPort\":8080}]"));

        Assert.Equal("Service \"s\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive", message);
    }

    [Fact]
    public async Task The_same_protocol_and_port_twice_is_a_duplicate()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"ports\":[{\"name\":\"a\",\"port\":80},{\"name\":\"b\",\"port\":80}]"));

        Assert.Equal("Service \"s\" is invalid: spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}", message);
    }

    [Fact]
    public async Task An_unknown_protocol_is_unsupported()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"ports\":[{\"port\":80,\"protocol\":\"HTTP\"}]"));

        Assert.Equal("Service \"s\" is invalid: spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"", message);
    }

    [Fact]
    public async Task A_named_target_port_must_be_an_iana_service_name()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"ports\":[{\"port\":80,\"targetPort\":\"Web\"}]"));

        Assert.Equal("Service \"s\" is invalid: spec.ports[0].targetPort: Invalid value: \"Web\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)", message);
    }

    [Fact]
    public async Task An_unknown_type_is_unsupported()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"type\":\"Internal\",\"ports\":[{\"port\":80}]"));

        Assert.Equal("Service \"s\" is invalid: spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"", message);
    }

    [Fact]
    public async Task A_selector_holds_labels()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"selector\":{\"app\":\"a b\"},\"ports\":[{\"port\":80}]"));

        Assert.StartsWith("Service \"s\" is invalid: spec.selector: Invalid value: \"a b\": a valid label must be an empty string", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_external_name_service_needs_an_external_name()
    {
        await using var api = await StartAsync();

        Assert.Equal("Service \"s\" is invalid: spec.externalName: Required value", await api.FailsAsync(Services, Svc("\"type\":\"ExternalName\"")));
    }

    [Fact]
    public async Task The_cluster_ip_cannot_change()
    {
        await using var api = await StartAsync();
        var created = await api.CreatedAsync(Services, Svc("\"ports\":[{\"port\":80}]"));

        var r = await api.Raw.PatchAsync(Services + "/s", """{"spec":{"clusterIP":"10.96.9.9"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Code);
        Assert.Equal("Service \"s\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.9.9\"}: may not change once set", r.Str("message"));
        Assert.Equal("10.96.0.1", created.Str("spec", "clusterIP"));
    }

    [Fact]
    public async Task A_cluster_ip_that_is_not_an_ip_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, Svc("\"clusterIP\":\"10.96.0.300\",\"ports\":[{\"port\":80}]"));

        Assert.Equal("Service \"s\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.96.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", message);
    }
}
