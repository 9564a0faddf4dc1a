using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Core;

/// <summary>ValidateConfigMap and ValidateConfigMapUpdate (pkg/apis/core/validation).</summary>
public sealed class ConfigMapStrategyTests
{
    private static string Cm(string fields) => $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},{{fields}}}""";

    [Fact]
    public async Task A_key_that_is_not_a_config_key_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, Cm("\"data\":{\"a/b\":\"v\"}"));

        Assert.Equal("ConfigMap \"c\" is invalid: data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')", message);
    }

    [Fact]
    public async Task A_key_starting_with_two_dots_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, Cm("\"binaryData\":{\"..x\":\"AA==\"}"));

        Assert.Equal("ConfigMap \"c\" is invalid: binaryData[..x]: Invalid value: \"..x\": must not start with '..'", message);
    }

    [Fact]
    public async Task A_key_in_both_data_and_binary_data_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, Cm("\"data\":{\"k\":\"v\"},\"binaryData\":{\"k\":\"AA==\"}"));

        Assert.Equal("ConfigMap \"c\" is invalid: data[k]: Invalid value: \"k\": duplicate of key present in binaryData", message);
    }

    [Fact]
    public async Task More_than_1_MiB_of_values_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, Cm($"\"data\":{{\"a\":\"{new string('x', 1 << 19)}\",\"b\":\"{new string('x', (1 << 19) + 1)}\"}}"));

        Assert.Equal("ConfigMap \"c\" is invalid: []: Too long: must have at most 1048576 bytes", message);
    }

    [Fact]
    public async Task The_data_of_an_immutable_config_map_cannot_change()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ConfigMaps, Cm("\"immutable\":true,\"data\":{\"k\":\"v\"}"));

        var r = await api.Raw.PatchAsync(ConfigMaps + "/c", """{"data":{"k":"w"},"binaryData":{"b":"AA=="}}""");

        Assert.Equal(422, (int)r.Code);
        Assert.Equal("ConfigMap \"c\" is invalid: [data: Forbidden: field is immutable when `immutable` is set, binaryData: Forbidden: field is immutable when `immutable` is set]", r.Str("message"));
    }

    [Fact]
    public async Task An_immutable_config_map_cannot_become_mutable()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ConfigMaps, Cm("\"immutable\":true"));

        var r = await api.Raw.PatchAsync(ConfigMaps + "/c", """{"immutable":false}""");

        Assert.Equal("ConfigMap \"c\" is invalid: immutable: Forbidden: field is immutable when `immutable` is set", r.Str("message"));
    }

    [Fact]
    public async Task An_immutable_config_maps_metadata_may_change()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ConfigMaps, Cm("\"immutable\":true,\"data\":{\"k\":\"v\"}"));

        var r = await api.Raw.PatchAsync(ConfigMaps + "/c", """{"metadata":{"labels":{"x":"y"}}}""");

        Assert.Equal(HttpStatusCode.OK, r.Code);
    }

    [Fact]
    public async Task A_mutable_config_map_may_become_immutable_with_new_data()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ConfigMaps, Cm("\"data\":{\"k\":\"v\"}"));

        var r = await api.Raw.PatchAsync(ConfigMaps + "/c", """{"immutable":true,"data":{"k":"w"}}""");

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal("w", r.Str("data", "k"));
    }
}
