using System.Reflection;

namespace Vers.EndToEnd.Tests.Conformance;

/// <summary>docs/api-conformance.md cannot go stale silently: it lists exactly the suite's operations, in order.</summary>
[Trait("Category", "Conformance")]
public sealed class ConformanceTableTests
{
    private static IReadOnlyList<(string Method, ConformanceAttribute Case)> Cases => ConformanceAttribute.Of(typeof(KubectlHelmConformanceTests));

    [Fact]
    public async Task The_committed_table_lists_the_operations_of_the_suite()
    {
        var path = Path.Combine(SamplesTests.RepositoryRoot(), ConformanceTable.DocPath);
        Assert.True(File.Exists(path), $"{ConformanceTable.DocPath} is missing: generate it with {ConformanceTable.Command}");

        var documented = ConformanceTable.Operations(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));

        var suite = Cases.Select(c => ConformanceTable.Cell(c.Case.Operation)).ToList();
        Assert.True(
            documented.SequenceEqual(suite),
            $"{ConformanceTable.DocPath} is stale; regenerate it with {ConformanceTable.Command}\n" +
            $"only in the suite: {string.Join("; ", suite.Except(documented))}\nonly in the table: {string.Join("; ", documented.Except(suite))}");
    }

    [Fact]
    public void Every_case_is_a_conformance_fact_with_its_own_operation_and_upstream_behaviour()
    {
        Assert.NotEmpty(Cases);
        Assert.Equal(Cases.Count, Cases.Select(c => c.Case.Operation).Distinct(StringComparer.Ordinal).Count());
        foreach (var (method, c) in Cases)
        {
            var info = typeof(KubectlHelmConformanceTests).GetMethod(method)!;
            Assert.True(info.GetCustomAttribute<FactAttribute>() is not null, $"{method} is not a [Fact]");
            Assert.False(string.IsNullOrWhiteSpace(c.Upstream), $"{method} does not say what the real API server does");
        }

        Assert.Contains(
            typeof(KubectlHelmConformanceTests).GetCustomAttributes<TraitAttribute>(),
            t => t.Name == "Category" && t.Value == "Conformance");
    }

    [Fact]
    public void A_rendered_table_reads_back_as_the_operations_it_was_made_from()
    {
        var results = new Dictionary<string, CaseResult> { [Cases[0].Method] = new("fail", "exit 1: a | b <c>") };

        var table = ConformanceTable.Render(Cases, results, "kubectl test, Helm test");

        Assert.Equal(Cases.Select(c => ConformanceTable.Cell(c.Case.Operation)), ConformanceTable.Operations(table));
        Assert.Contains("❌ exit 1: a \\| b &lt;c&gt;", table, StringComparison.Ordinal);
        Assert.Contains("**0 of", table, StringComparison.Ordinal);
    }
}
