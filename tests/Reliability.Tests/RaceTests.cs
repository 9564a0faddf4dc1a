using Vers.Api;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>Concurrent fork requests through the fork API: one target name is claimed exactly once.</summary>
[Trait("Category", "Reliability")]
public sealed class RaceTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private const int Concurrent = 40;
    private readonly TestStack _host = shared.Host;

    private static async Task<ApiAnswer[]> AllAtOnceAsync(int count, Func<int, Task<ApiAnswer>> send)
    {
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, count).Select(async i =>
        {
            await start.WaitAsync(TestStack.Ct);
            return await send(i);
        }).ToList();
        start.Release(count);
        return await Task.WhenAll(requests);
    }

    [Fact]
    public async Task Forty_concurrent_forks_into_one_target_give_one_201_and_39_409s_and_one_VM()
    {
        var org = await _host.NewOrgAsync("race-one");
        var baseline = (await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct)).Names;

        var answers = await AllAtOnceAsync(Concurrent, _ =>
            _host.ForkAsync(org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"contended"}"""));

        var created = answers.Where(a => a.Status == 201).ToList();
        var conflicts = answers.Where(a => a.Status == 409).ToList();
        Figures.Report($"races: {Concurrent} concurrent POSTs for one target → {created.Count} × 201, {conflicts.Count} × 409, others [{string.Join(", ", answers.Where(a => a.Status is not (201 or 409)).Select(a => a.Status))}]");
        Assert.Single(created);
        Assert.Equal(Concurrent - 1, conflicts.Count);
        Assert.All(conflicts, c => Assert.Equal("repository contended already exists", (string?)c.Object["error"]));
        Assert.All(conflicts, c => Assert.False((bool)c.Object["success"]!));
        var vms = await _host.ListAsync<Kube.GenericObject>(Api.KubeVirt.KubeVirtTypes.VirtualMachine, org.Namespace);
        var vm = Assert.Single(vms);
        Assert.Equal((string?)created[0].Object["vm_id"], vm.Metadata.Name);
        // A request that arrives once the target exists is answered 409 before any work and leaves no fork object;
        // the ones that raced it each made a fork, which failed with TargetExists.
        var forks = await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace);
        Assert.InRange(forks.Count, 1, Concurrent);
        Assert.Single(forks, f => f.Status?.Phase == ForkPhase.Succeeded);
        var audit = ForkAudit.Check(await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct), baseline, forks);
        Assert.True(audit.Clean, audit.ToString());
    }

    [Fact]
    public async Task Forty_concurrent_forks_into_forty_targets_all_give_201_with_distinct_VMs()
    {
        var org = await _host.NewOrgAsync("race-many");
        var baseline = (await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct)).Names;

        var answers = await AllAtOnceAsync(Concurrent, i =>
            _host.ForkAsync(org.Key, $$"""{"source_org":"vers","source_repo":"{{(i % 2 == 0 ? "node" : "rust")}}","source_tag":"latest","repo_name":"target-{{i}}"}"""));

        Figures.Report($"races: {Concurrent} concurrent POSTs for {Concurrent} targets → {answers.Count(a => a.Status == 201)} × 201, others [{string.Join(", ", answers.Where(a => a.Status != 201).Select(a => $"{a.Status} {a.Text}"))}]");
        Assert.All(answers, a => Assert.True(a.Status == 201, $"{a.Status}: {a.Text}"));
        Assert.Equal(Concurrent, answers.Select(a => (string?)a.Object["vm_id"]).Distinct().Count());
        Assert.Equal(
            Enumerable.Range(0, Concurrent).Select(i => $"target-{i}:latest").Order(StringComparer.Ordinal),
            answers.Select(a => (string)a.Object["reference"]!).Order(StringComparer.Ordinal));
        var forks = await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace);
        var audit = ForkAudit.Check(await _host.Inventory.OfAsync(org.Namespace, TestStack.Ct), baseline, forks);
        Assert.True(audit.Clean, audit.ToString());
        Assert.Equal(Concurrent, (await _host.ListAsync<Kube.GenericObject>(Api.KubeVirt.KubeVirtTypes.VirtualMachine, org.Namespace)).Count);
    }

    [Fact]
    public async Task Forty_concurrent_replays_of_one_idempotent_request_give_forty_identical_201s_and_one_fork()
    {
        var org = await _host.NewOrgAsync("race-idem");

        var answers = await AllAtOnceAsync(Concurrent, _ =>
            _host.ForkAsync(org.Key, """{"source_org":"vers","source_repo":"go","source_tag":"latest"}""", ("Idempotency-Key", "race-key-1")));

        Assert.All(answers, a => Assert.True(a.Status == 201, $"{a.Status}: {a.Text}"));
        Assert.Single(answers.Select(a => a.Object.ToJsonString()).Distinct());
        Assert.Single(await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace));
        Assert.Single(await _host.ListAsync<Kube.GenericObject>(Api.KubeVirt.KubeVirtTypes.VirtualMachine, org.Namespace));
    }
}
