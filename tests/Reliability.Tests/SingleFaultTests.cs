using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// Each kind of write the operator makes fails (500) until it has failed at least once, then works again: the fork
/// must still succeed with every object in its final state (commit ready, tag referenced, repository Ready) — a
/// retry must redo the write, not believe it happened.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class SingleFaultTests : IAsyncLifetime
{
    private TestStack _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await ReliabilityHost.StartAsync(o => o with { RunOperator = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("cross-org", "patch", "repositoryforks")]
    [InlineData("cross-org", "create", "repositories")]
    [InlineData("cross-org", "update", "repositoryforks/status")]
    [InlineData("cross-org", "create", "datavolumes")]
    [InlineData("cross-org", "create", "virtualmachines")]
    [InlineData("cross-org", "create", "commits")]
    [InlineData("cross-org", "create", "virtualmachinesnapshots")]
    [InlineData("cross-org", "patch", "commits/status")]
    [InlineData("cross-org", "create", "tags")]
    [InlineData("cross-org", "update", "repositories/status")]
    [InlineData("same-org", "create", "virtualmachineclones")]
    [InlineData("same-org", "patch", "virtualmachines")]
    public async Task A_write_that_fails_once_is_redone_and_the_fork_ends_complete(string kind, string verb, string resource)
    {
        var org = $"once-{verb}-{resource.Replace('/', '-')}"[..Math.Min(40, $"once-{verb}-{resource.Replace('/', '-')}".Length)];
        await _host.EnsureOrgAsync(org);
        var (sourceOrg, repo) = (TestStack.SourceOrg, "node");
        if (kind == "same-org")
        {
            await _host.PublishAsync(org, "node");
            (sourceOrg, repo) = (org, "node-copy");
        }

        var baseline = (await _host.Inventory.OfAsync(org, TestStack.Ct)).Names;
        var requests = _host.KubeApi.Requests;
        var before = requests.Count(verb, resource, UserAgents.Operator);
        var rule = _host.KubeApi.Faults.Add(new FaultRule { Verb = verb, Resource = resource, Client = UserAgents.Operator, ErrorRate = 1 });
        await using var op = _host.NewOperator($"operator-{org}");
        await op.StartAsync(TestStack.Ct);
        await _host.CreateForkAsync(org, "fork", sourceOrg, "node", repo);
        try
        {
            await Eventually.ReachAsync(() => Task.FromResult(requests.Count(verb, resource, UserAgents.Operator) > before), TimeSpan.FromSeconds(20));
        }
        finally
        {
            _host.KubeApi.Faults.Remove(rule);
        }

        var fork = await _host.FinishedAsync(org, "fork");

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        var audit = ForkAudit.Check(await _host.Inventory.OfAsync(org, TestStack.Ct), baseline, [fork]);
        Assert.True(audit.Clean, audit.ToString());
    }
}
