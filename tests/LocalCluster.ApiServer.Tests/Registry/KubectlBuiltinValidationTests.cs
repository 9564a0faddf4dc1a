namespace Vers.LocalCluster.ApiServer.Tests.Registry;

/// <summary>What kubectl prints for built-in objects the real server refuses.</summary>
public sealed class KubectlBuiltinValidationTests
{
    [Fact]
    public async Task Kubectl_replace_of_an_immutable_config_map_prints_the_upstream_error()
    {
        await using var k = await KubectlHarness.StartAsync();
        // From a manifest: kubectl's generators (create configmap) send protobuf, which this server does not read.
        await k.OkInAsync("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\nimmutable: true\ndata:\n  mode: a\n", "create", "-f", "-");
        var changed = (await k.OkAsync("get", "configmap", "settings", "-o", "yaml")).Replace("mode: a", "mode: b", StringComparison.Ordinal);

        var err = await k.FailsAsync(changed, "replace", "-f", "-");

        Assert.Equal("The ConfigMap \"settings\" is invalid: data: Forbidden: field is immutable when `immutable` is set\n", err);
    }

    [Fact]
    public async Task Kubectl_apply_of_a_config_map_with_a_number_in_data_prints_the_decoding_error()
    {
        await using var k = await KubectlHarness.StartAsync();
        const string manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  k: 1\n";

        var err = await k.FailsAsync(manifest, "apply", "-f", "-");

        Assert.Contains("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_apply_warns_of_an_unknown_field_with_server_side_field_validation()
    {
        await using var k = await KubectlHarness.StartAsync();
        const string manifest = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: op\n  namespace: default\nsecretz: []\n";

        var (code, stdout, stderr) = await k.RunAsync(manifest, "apply", "--validate=warn", "-f", "-");

        Assert.Equal(0, code);
        Assert.Equal("serviceaccount/op created\n", stdout);
        Assert.Contains("Warning: unknown field \"secretz\"", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_patch_of_a_role_bindings_role_ref_is_refused()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkInAsync("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: default\nroleRef:\n  kind: Role\n  name: viewer\nsubjects:\n- kind: User\n  name: alice\n", "create", "-f", "-");

        var err = await k.FailsAsync(null, "patch", "rolebinding", "b", "--type=merge", "-p", """{"roleRef":{"name":"editor"}}""");

        Assert.Equal("The RoleBinding \"b\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"editor\"}: cannot change roleRef\n", err);
    }
}
