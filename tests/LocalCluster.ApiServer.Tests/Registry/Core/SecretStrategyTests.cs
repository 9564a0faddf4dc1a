using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Core;

/// <summary>Secrets: stringData conversion, SetDefaults_Secret, ValidateSecret and ValidateSecretUpdate.</summary>
public sealed class SecretStrategyTests
{
    private static string Secret(string fields) => $$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},{{fields}}}""";

    [Fact]
    public async Task String_data_is_merged_into_data_over_the_same_key_and_not_stored()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(Secrets, Secret("\"data\":{\"a\":\"b2xk\",\"b\":\"Yg==\"},\"stringData\":{\"a\":\"new\"}"));

        Assert.Equal("""{"a":"bmV3","b":"Yg=="}""", r.Body!["data"]!.ToJsonString());
        Assert.Null(r.Body["stringData"]);
    }

    [Fact]
    public async Task The_type_defaults_to_opaque()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(Secrets, Secret("\"data\":{}"));

        Assert.Equal("Opaque", r.Str("type"));
    }

    [Fact]
    public async Task The_type_cannot_change()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(Secrets, Secret("\"type\":\"example.com/custom\""));

        var r = await api.Raw.PatchAsync(Secrets + "/s", """{"type":"Opaque"}""");

        Assert.Equal("Secret \"s\" is invalid: type: Invalid value: \"Opaque\": field is immutable", r.Str("message"));
    }

    [Fact]
    public async Task A_service_account_token_secret_needs_the_service_account_annotation()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Secrets, Secret("\"type\":\"kubernetes.io/service-account-token\""));

        Assert.Equal("Secret \"s\" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value", message);
    }

    [Fact]
    public async Task A_docker_config_json_secret_needs_its_key()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Secrets, Secret("\"type\":\"kubernetes.io/dockerconfigjson\""));

        Assert.Equal("Secret \"s\" is invalid: data[.dockerconfigjson]: Required value", message);
    }

    [Fact]
    public async Task A_docker_config_json_secret_holds_json()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Secrets, Secret("\"type\":\"kubernetes.io/dockerconfigjson\",\"stringData\":{\".dockerconfigjson\":\"x\"}"));

        Assert.Equal("Secret \"s\" is invalid: data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'x' looking for beginning of value", message);
    }

    [Fact]
    public async Task A_tls_secret_needs_a_certificate_and_a_key()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Secrets, Secret("\"type\":\"kubernetes.io/tls\""));

        Assert.Equal("Secret \"s\" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]", message);
    }

    [Fact]
    public async Task A_basic_auth_secret_needs_a_username_or_a_password()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(Secrets, Secret("\"type\":\"kubernetes.io/basic-auth\",\"stringData\":{\"password\":\"\"}"));

        var message = await api.FailsAsync(Secrets, Secret("\"type\":\"kubernetes.io/basic-auth\"").Replace("\"s\"", "\"t\"", StringComparison.Ordinal));

        Assert.Equal("Secret \"t\" is invalid: [data[username]: Required value, data[password]: Required value]", message);
    }

    [Fact]
    public async Task An_ssh_auth_secret_needs_a_private_key()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Secrets, Secret("\"type\":\"kubernetes.io/ssh-auth\",\"data\":{\"ssh-privatekey\":\"\"}"));

        Assert.Equal("Secret \"s\" is invalid: data[ssh-privatekey]: Required value", message);
    }

    [Fact]
    public async Task More_than_1_MiB_of_data_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Secrets, Secret($"\"stringData\":{{\"k\":\"{new string('x', (1 << 20) + 1)}\"}}"));

        Assert.Equal("Secret \"s\" is invalid: data: Too long: must have at most 1048576 bytes", message);
    }

    [Fact]
    public async Task The_data_of_an_immutable_secret_cannot_change()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(Secrets, Secret("\"immutable\":true,\"stringData\":{\"k\":\"v\"}"));

        var r = await api.Raw.PatchAsync(Secrets + "/s", """{"stringData":{"k":"w"}}""");

        Assert.Equal(422, (int)r.Code);
        Assert.Equal("Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set", r.Str("message"));
    }

    [Fact]
    public async Task A_secret_key_must_be_a_config_key()
    {
        await using var api = await StartAsync();

        var r = await api.PostAsync(Secrets, Secret("\"stringData\":{\"a b\":\"v\"}"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Code);
        Assert.StartsWith("Secret \"s\" is invalid: data[a b]: Invalid value: \"a b\": a valid config key", r.Str("message"), StringComparison.Ordinal);
    }
}
