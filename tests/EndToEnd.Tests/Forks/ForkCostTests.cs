using System.Net.Http.Headers;
using System.Text;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.Operator.Commits;
using Vers.Api;
using Vers.Operator.Repositories;
using Vers.Kube.Client;

namespace Vers.EndToEnd.Tests.Forks;

/// <summary>
/// What one fork costs the API server (docs/architecture.md#the-write-budget): at most 12 writes and 4 reads by the operator and the fork API
/// together, counted by User-Agent in LocalCluster's request counters (KubeVirt's simulator not included), after a
/// warm-up fork of the same kind. Events are not part of that budget: the operator records what kubectl describe
/// should show (Created, Succeeded, Failed), and they are counted apart. A host of its own: no other test's forks may add requests meanwhile.
/// </summary>
public sealed class ForkCostTests : IAsyncLifetime
{
    private const string Key = "e2e-cost-key-0123456789abcdef";
    private const int MaxWrites = 12;
    private const int MaxReads = 4;
    private static readonly string[] Writes = ["create", "update", "patch", "delete", "deletecollection"];
    private static readonly string[] Reads = ["get", "list"];

    private AllInOneHost _host = null!;
    private HttpClient _http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _host = await AllInOneHost.StartAsync(
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                KubeListen = "http://127.0.0.1:0",
                Kubeconfig = null,
                DevApiKey = Key,
                ForkWaitTimeout = TimeSpan.FromSeconds(30),
            },
            Ct);
        _http = new HttpClient { BaseAddress = _host.ApiAddress, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        await SeedSettledAsync();
    }

    /// <summary>
    /// The demo data is made as a user would make it, without the operator's finalizers; the operator adds them once, at
    /// start. Those writes are the seed's, not a fork's: wait until they are done.
    /// </summary>
    private async Task SeedSettledAsync()
    {
        var rest = new KubeRestClient(_host.Client);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var repositories = await rest.ListAsync<Repository>(Repository.Type, null, Ct);
            var commits = await rest.ListAsync<Commit>(Commit.Type, null, Ct);
            if (repositories.Items.All(r => r.Metadata.Finalizers?.Contains(RepositoryReconciler.Finalizer) == true)
                && commits.Items.All(c => c.Metadata.Finalizers?.Contains(CommitReconciler.Finalizer) == true))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the operator did not finish adding its finalizers to the demo data");
            await Task.Delay(50, Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_cross_org_fork_makes_at_most_12_writes_and_4_reads()
    {
        await ForkAsync("vers", "node", "cost-x-warmup");

        var cost = await CountAsync(() => ForkAsync("vers", "node", "cost-x"));

        Assert.True(cost.Writes <= MaxWrites && cost.Reads <= MaxReads, cost.ToString());
    }

    [Fact]
    public async Task A_same_org_fork_makes_at_most_12_writes_and_4_reads()
    {
        await ForkAsync("dev", "devbox", "cost-s-warmup");

        var cost = await CountAsync(() => ForkAsync("dev", "devbox", "cost-s"));

        Assert.True(cost.Writes <= MaxWrites && cost.Reads <= MaxReads, cost.ToString());
    }

    private sealed record Cost(long Writes, long Reads, IReadOnlyList<string> Breakdown)
    {
        public override string ToString() =>
            $"{Writes} writes (at most {MaxWrites}), {Reads} reads (at most {MaxReads}):{Environment.NewLine}{string.Join(Environment.NewLine, Breakdown)}";
    }

    /// <summary>The operator's and the fork API's requests while <paramref name="fork"/> runs to its end.</summary>
    private async Task<Cost> CountAsync(Func<Task> fork)
    {
        var before = Ours();
        await fork();
        var after = await SettledAsync();
        var delta = after
            .Select(kv => (kv.Key, Count: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(x => x.Count > 0)
            .OrderBy(x => x.Key.Client, StringComparer.Ordinal).ThenBy(x => x.Key.Verb, StringComparer.Ordinal).ThenBy(x => x.Key.Resource, StringComparer.Ordinal)
            .ToList();
        return new Cost(
            delta.Where(x => Writes.Contains(x.Key.Verb)).Sum(x => x.Count),
            delta.Where(x => Reads.Contains(x.Key.Verb)).Sum(x => x.Count),
            [.. delta.Select(x => $"  {x.Key.Client.Split('/')[0]} {x.Key.Verb} {x.Key.Resource}: {x.Count}")]);
    }

    private Dictionary<RequestKey, long> Ours() =>
        _host.KubeApi.Requests.Snapshot()
            .Where(kv => kv.Key.Client.StartsWith(UserAgents.Operator, StringComparison.Ordinal) || kv.Key.Client.StartsWith(UserAgents.ApiShim, StringComparison.Ordinal))
            .Where(kv => kv.Key.Resource != "events")
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>The counts once they have stopped moving: a late write must not escape the count.</summary>
    private async Task<Dictionary<RequestKey, long>> SettledAsync()
    {
        var last = Ours();
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), Ct);
            var now = Ours();
            if (now.Count == last.Count && now.All(kv => last.GetValueOrDefault(kv.Key) == kv.Value))
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    /// <summary>Forks through the API (201) and waits until the operator has let go of the fork (no finalizer left).</summary>
    private async Task ForkAsync(string sourceOrg, string sourceRepo, string repoName)
    {
        var body = $$"""{"source_org":"{{sourceOrg}}","source_repo":"{{sourceRepo}}","source_tag":"latest","repo_name":"{{repoName}}"}""";
        using var response = await _http.PostAsync("api/v1/repositories/fork", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.True((int)response.StatusCode == 201, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");

        var rest = new KubeRestClient(_host.Client);
        var forks = await rest.ListAsync<RepositoryFork>(RepositoryFork.Type, "dev", Ct);
        var name = forks.Items.Single(f => f.Spec.RepoName == repoName).Metadata.Name;
        await rest.UntilAsync<RepositoryFork>(
            RepositoryFork.Type, "dev", name, f => f.Metadata.Finalizers is null or { Count: 0 }, TimeSpan.FromSeconds(30), Ct);
    }
}
