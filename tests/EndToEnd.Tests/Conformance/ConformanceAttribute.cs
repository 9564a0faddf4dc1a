using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit.Sdk;
using Xunit.v3;

namespace Vers.EndToEnd.Tests.Conformance;

/// <summary>
/// One conformance case: the <paramref name="operation"/> a user runs (kubectl or Helm, as typed) and what the real
/// kube-apiserver answers (<paramref name="upstream"/>, with what kubectl or Helm prints where it matters). The test asserts
/// that behaviour against the host; docs/api-conformance.md is generated from these and the results.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceAttribute(string operation, string upstream, [CallerLineNumber] int line = 0) : Attribute
{
    public string Operation { get; } = operation;

    public string Upstream { get; } = upstream;

    /// <summary>Where the case stands in its file: cases run, and the table lists them, in this order.</summary>
    public int Line { get; } = line;

    /// <summary>The cases of <paramref name="type"/>, in source order, with their test method names.</summary>
    public static IReadOnlyList<(string Method, ConformanceAttribute Case)> Of(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Select(m => (Method: m.Name, Case: m.GetCustomAttribute<ConformanceAttribute>()))
            .Where(c => c.Case is not null)
            .Select(c => (c.Method, c.Case!))
            .OrderBy(c => c.Item2.Line)
            .ToList();
}

/// <summary>Runs a class's cases in source order (a Helm release goes install → upgrade → rollback → uninstall); other tests last.</summary>
public sealed class SourceOrder : ITestCaseOrderer
{
    public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases)
        where TTestCase : notnull, ITestCase =>
        testCases
            .OrderBy(c => c is IXunitTestCase x && x.TestMethod.Method.GetCustomAttribute<ConformanceAttribute>() is { } a ? a.Line : int.MaxValue)
            .ThenBy(c => c.TestCaseDisplayName, StringComparer.Ordinal)
            .ToList();
}
