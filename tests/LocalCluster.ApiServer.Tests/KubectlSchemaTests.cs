namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>kubectl against schema validation: refusals are printed the way the real server's are.</summary>
public sealed class KubectlSchemaTests
{
    private static string Fork(string name, string sourceRepo, string extra = "") => $"""
        apiVersion: vers.sh/v1alpha1
        kind: RepositoryFork
        metadata:
          name: {name}
          namespace: default
        spec:
          sourceOrg: acme
        {sourceRepo}
          sourceTag: latest
        {extra}
        """;

    [Fact]
    public async Task Apply_of_a_manifest_missing_a_required_field_or_with_a_wrong_type_is_refused_with_the_field_errors()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkAsync("apply", "-f", KubectlHarness.RepoFile("config/crds/vers.sh_repositoryforks.yaml"));

        var missing = await k.FailsAsync(Fork("f1", ""), "apply", "-f", "-");
        Assert.Contains("The RepositoryFork \"f1\" is invalid", missing);
        Assert.Contains("spec.sourceRepo: Required value", missing);

        var wrongType = await k.FailsAsync(Fork("f2", "  sourceRepo: demo", "  ttlSecondsAfterFinished: soon"), "apply", "-f", "-");
        Assert.Contains("The RepositoryFork \"f2\" is invalid", wrongType);
        Assert.Contains("spec.ttlSecondsAfterFinished: Invalid value: \"string\": spec.ttlSecondsAfterFinished in body must be of type integer: \"string\"", wrongType);

        var notFound = await k.RunAsync(null, "get", "rfork", "f1", "f2");
        Assert.NotEqual(0, notFound.Code);
    }

    [Fact]
    public async Task Apply_with_a_changed_immutable_spec_is_refused_with_the_rule_message()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkAsync("apply", "-f", KubectlHarness.RepoFile("config/crds/vers.sh_repositoryforks.yaml"));
        Assert.Contains("repositoryfork.vers.sh/f1 created", await k.OkInAsync(Fork("f1", "  sourceRepo: demo"), "apply", "-f", "-"));
        Assert.Contains("unchanged", await k.OkInAsync(Fork("f1", "  sourceRepo: demo"), "apply", "-f", "-"));

        var changed = await k.FailsAsync(Fork("f1", "  sourceRepo: other"), "apply", "-f", "-");
        Assert.Contains("The RepositoryFork \"f1\" is invalid: spec: Invalid value: \"object\": spec is immutable: create a new RepositoryFork instead", changed);
        Assert.Equal("demo", await k.OkAsync("get", "rfork", "f1", "-o", "jsonpath={.spec.sourceRepo}"));
    }

    [Fact]
    public async Task Apply_with_an_unknown_field_is_refused_by_kubectl_strict_validation()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkAsync("apply", "-f", KubectlHarness.RepoFile("config/crds/vers.sh_repositoryforks.yaml"));
        var err = await k.FailsAsync(Fork("f1", "  sourceRepo: demo", "  colour: blue"), "apply", "-f", "-");
        Assert.Contains("strict decoding error: unknown field \"spec.colour\"", err);

        var warned = await k.RunAsync(Fork("f1", "  sourceRepo: demo", "  colour: blue"), "apply", "--validate=warn", "-f", "-");
        Assert.Equal(0, warned.Code);
        Assert.Contains("unknown field \"spec.colour\"", warned.Err);
    }
}
