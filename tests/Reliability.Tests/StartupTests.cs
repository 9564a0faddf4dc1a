using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// A restarted operator finds forks already waiting. It must not decide anything about them before every cache it
/// reads is filled: a slow list of namespaces, repositories, tags or commits must not turn into a spurious
/// SourceNotFound or Invalid.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class StartupTests : IAsyncLifetime
{
    private TestStack _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await ReliabilityHost.StartAsync(o => o with { RunOperator = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("namespaces")]
    [InlineData("repositories")]
    [InlineData("tags")]
    [InlineData("commits")]
    public async Task A_fork_waiting_when_the_operator_starts_is_not_judged_on_a_half_filled_cache(string slowList)
    {
        var org = $"startup-{slowList}";
        await _host.EnsureOrgAsync(org);
        await _host.CreateForkAsync(org, "waiting", TestStack.SourceOrg, "node");
        var slow = _host.KubeApi.Faults.Add(new FaultRule { Verb = "list", Resource = slowList, Client = UserAgents.Operator, Latency = TimeSpan.FromMilliseconds(700) });
        try
        {
            await using var op = _host.NewOperator($"operator-{org}");
            await op.StartAsync(TestStack.Ct);
            var fork = await _host.FinishedAsync(org, "waiting");

            Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        }
        finally
        {
            _host.KubeApi.Faults.Remove(slow);
        }
    }
}
