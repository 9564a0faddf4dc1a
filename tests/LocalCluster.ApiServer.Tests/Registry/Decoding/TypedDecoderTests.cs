using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Decoding;

/// <summary>Built-in bodies decode as into their Go structs (runtime/serializer/json over sigs.k8s.io/json).</summary>
public sealed class TypedDecoderTests
{
    [Fact]
    public async Task A_number_where_a_string_goes_is_400_with_the_go_unmarshal_error()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":1}}""", 400);

        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string", message);
    }

    [Fact]
    public async Task A_type_error_names_the_innermost_struct_and_the_field_path_without_indexes()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Services, """{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":"http"}]}}""", 400);

        Assert.Equal("Service in version \"v1\" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32", message);
    }

    [Fact]
    public async Task A_map_where_a_struct_goes_names_the_go_type()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":"x"}}""", 400);

        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string", message);
    }

    [Fact]
    public async Task A_fraction_or_an_overflow_in_an_int32_field_is_reported_with_the_number()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Leases, """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"},"spec":{"leaseDurationSeconds":1.5}}""", 400);

        Assert.Equal("Lease in version \"v1\" cannot be handled as a Lease: json: cannot unmarshal number 1.5 into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32", message);
    }

    [Fact]
    public async Task Data_that_is_not_base64_is_400_with_the_offending_byte()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Secrets, """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"ab$d"}}""", 400);

        Assert.Equal("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 2", message);
    }

    [Fact]
    public async Task A_micro_time_without_six_fractional_digits_is_400_with_the_go_time_parse_error()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Leases, """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"},"spec":{"renewTime":"2026-01-02T03:04:05Z"}}""", 400);

        Assert.Equal("Lease in version \"v1\" cannot be handled as a Lease: parsing time \"2026-01-02T03:04:05Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"Z\" as \".000000\"", message);
    }

    [Fact]
    public async Task Unknown_fields_are_dropped_with_a_warning_by_default()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","bogus":1},"data":{"k":"v"},"spec":{"x":1}}""");

        Assert.Equal(["299 - \"unknown field \\\"metadata.bogus\\\"\"", "299 - \"unknown field \\\"spec\\\"\""], r.Warnings);
        Assert.Null(r.Body!["spec"]);
        Assert.Null(r.Body["metadata"]!["bogus"]);
    }

    [Fact]
    public async Task Unknown_fields_inside_lists_are_reported_with_their_index()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(Roles, """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"],"verb":"list"}]}""");

        Assert.Equal(["299 - \"unknown field \\\"rules[0].verb\\\"\""], r.Warnings);
    }

    [Fact]
    public async Task Unknown_fields_are_400_under_strict_field_validation()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps + "?fieldValidation=Strict", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"spec":1,"status":2}""", 400);

        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"spec\", unknown field \"status\"", message);
    }

    [Fact]
    public async Task Unknown_fields_are_dropped_silently_under_ignore()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(ConfigMaps + "?fieldValidation=Ignore", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"spec":1}""");

        Assert.Empty(r.Warnings);
        Assert.Null(r.Body!["spec"]);
    }

    [Fact]
    public async Task A_type_error_is_400_even_under_ignore()
    {
        await using var api = await StartAsync();

        var r = await api.PostAsync(ConfigMaps + "?fieldValidation=Ignore", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"immutable":"yes"}""");

        Assert.Equal(HttpStatusCode.BadRequest, r.Code);
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.immutable of type bool", r.Str("message"));
    }

    [Fact]
    public async Task A_patch_that_introduces_a_type_error_is_400()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}""");

        var r = await api.Raw.PatchAsync(ConfigMaps + "/c", """{"data":{"k":true}}""");

        Assert.Equal(HttpStatusCode.BadRequest, r.Code);
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of type string", r.Str("message"));
    }
}
