using Vers.LocalCluster.Hosting;
using Vers.Testing;

namespace Vers.Reliability.Tests.Support;

/// <summary>
/// This suite's <see cref="TestStack"/>: every component logs into <see cref="SuiteLogs"/>, and every key it issues is
/// registered there for the suite's key-material check.
/// </summary>
public static class ReliabilityHost
{
    public static Task<TestStack> StartAsync(Func<AllInOneOptions, AllInOneOptions>? configure = null, CancellationToken ct = default) =>
        TestStack.StartAsync(new TestStackOptions { Loggers = SuiteLogs.Loggers, KeyIssued = SuiteLogs.RegisterKey, Configure = configure }, ct);
}

/// <summary>One seeded host with the operator, shared by the tests of a class (which run one after another).</summary>
public sealed class SharedHost : SharedStack
{
    protected override Task<TestStack> StartAsync() => ReliabilityHost.StartAsync();
}
