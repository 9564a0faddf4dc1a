using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry;

/// <summary>apimachinery's ValidateObjectMeta rules, which every kind gets (custom resources too).</summary>
public sealed class ObjectMetaRulesTests
{
    private static string ConfigMap(string metadata) => """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",""" + metadata + "}}";

    [Fact]
    public async Task A_label_key_that_is_not_a_qualified_name_is_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, ConfigMap("\"labels\":{\"a b\":\"v\"}"));

        Assert.Equal("ConfigMap \"c\" is invalid: metadata.labels: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", message);
    }

    [Fact]
    public async Task A_label_value_longer_than_63_characters_is_422()
    {
        await using var api = await StartAsync();
        var value = new string('v', 64);

        var message = await api.FailsAsync(ConfigMaps, ConfigMap($"\"labels\":{{\"a\":\"{value}\"}}"));

        Assert.Equal($"ConfigMap \"c\" is invalid: metadata.labels: Invalid value: \"{value}\": must be no more than 63 characters", message);
    }

    [Fact]
    public async Task An_annotation_key_is_a_qualified_name_in_any_case()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ConfigMaps, ConfigMap("\"annotations\":{\"Example.COM/Key\":\"anything goes: here\"}"));

        var message = await api.FailsAsync(ConfigMaps, ConfigMap("\"annotations\":{\"/x\":\"\"}").Replace("\"c\"", "\"d\"", StringComparison.Ordinal));

        Assert.Equal("ConfigMap \"d\" is invalid: metadata.annotations: Invalid value: \"/x\": prefix part must be non-empty", message);
    }

    [Fact]
    public async Task Annotations_over_256_KiB_in_total_are_422()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, ConfigMap($"\"annotations\":{{\"a\":\"{new string('x', 262144)}\"}}"));

        Assert.Equal("ConfigMap \"c\" is invalid: metadata.annotations: Too long: must have at most 262144 bytes", message);
    }

    [Fact]
    public async Task A_finalizer_must_be_a_qualified_name()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Roles, """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r","finalizers":["example.com/a b"]}}""");

        Assert.Equal("Role.rbac.authorization.k8s.io \"r\" is invalid: metadata.finalizers: Invalid value: \"example.com/a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", message);
    }

    [Fact]
    public async Task A_core_kind_finalizer_without_a_domain_must_be_a_standard_one()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, ConfigMap("\"finalizers\":[\"kubernetes\",\"mine\"]"));

        Assert.Equal("ConfigMap \"c\" is invalid: metadata.finalizers[1]: Invalid value: \"mine\": name is neither a standard finalizer name nor is it fully qualified", message);
    }

    [Fact]
    public async Task Orphan_and_foreground_deletion_finalizers_cannot_be_both_set()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, ConfigMap("\"finalizers\":[\"orphan\",\"foregroundDeletion\"]"));

        Assert.Equal("ConfigMap \"c\" is invalid: metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set", message);
    }

    [Fact]
    public async Task An_owner_reference_needs_a_version_a_kind_a_name_and_a_uid()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, ConfigMap("\"ownerReferences\":[{\"apiVersion\":\"\",\"kind\":\"\",\"name\":\"\",\"uid\":\"\"}]"));

        Assert.Equal("ConfigMap \"c\" is invalid: [metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty, metadata.ownerReferences.kind: Invalid value: \"\": must not be empty, "
                     + "metadata.ownerReferences.name: Invalid value: \"\": must not be empty, metadata.ownerReferences.uid: Invalid value: \"\": must not be empty]", message);
    }

    [Fact]
    public async Task Only_one_owner_reference_may_be_the_controller()
    {
        await using var api = await StartAsync();
        const string owner = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"NAME\",\"uid\":\"u-NAME\",\"controller\":true}";

        var message = await api.FailsAsync(ConfigMaps, ConfigMap($"\"ownerReferences\":[{owner.Replace("NAME", "a", StringComparison.Ordinal)},{owner.Replace("NAME", "b", StringComparison.Ordinal)}]"));

        Assert.Contains("Only one reference can have Controller set to true. Found \"true\" in references for Deployment/a and Deployment/b", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generate_name_is_checked_with_the_kinds_name_rule()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"Bad_"}}""");

        Assert.StartsWith("ConfigMap \"Bad_", message, StringComparison.Ordinal);
        Assert.Contains("[metadata.generateName: Invalid value: \"Bad_\": a lowercase RFC 1123 subdomain", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generate_name_ending_in_a_dash_is_fine()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(Services, """{"apiVersion":"v1","kind":"Service","metadata":{"generateName":"web-"},"spec":{"ports":[{"port":80}]}}""");

        Assert.Matches("^web-[a-z0-9]{5}$", r.Str("metadata", "name"));
    }

    [Fact]
    public async Task Custom_resources_get_the_label_rules_too()
    {
        await using var api = await StartAsync();
        await api.Cluster.CreateWidgetCrdAsync();

        var message = await api.FailsAsync("/apis/example.com/v1/namespaces/default/widgets", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b c"}}}""");

        Assert.StartsWith("Widget.example.com \"w\" is invalid: metadata.labels: Invalid value: \"b c\": a valid label must be an empty string", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_that_adds_a_bad_label_is_422()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(ConfigMaps, ConfigMap("\"labels\":{\"a\":\"b\"}"));

        var r = await api.Raw.PatchAsync(ConfigMaps + "/c", """{"metadata":{"labels":{"a":"-"}}}""");

        Assert.Equal(422, (int)r.Code);
        Assert.StartsWith("ConfigMap \"c\" is invalid: metadata.labels: Invalid value: \"-\": a valid label must be an empty string", r.Str("message"), StringComparison.Ordinal);
    }
}
