using System.Diagnostics;
using Vers.ApiShim.Auth;
using Vers.Api;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// Security through the fork API: another org's private repository answers exactly like a missing one; a revoked key
/// is refused within 5 s and writes nothing; another org's fork operation is not found like a missing one; and no
/// log line of any host this suite started carries key material (checked here after a workload of accepted, forged,
/// revoked and malformed keys, and again over the whole suite when it ends).
/// </summary>
[Trait("Category", "Reliability")]
public sealed class SecurityTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private readonly TestStack _host = shared.Host;

    private static string ForkBody(string org, string repo, string tag = "latest") =>
        $$"""{"source_org":"{{org}}","source_repo":"{{repo}}","source_tag":"{{tag}}"}""";

    /// <summary>Same status, same media type, same body once the name is swapped, and the same headers apart from the operation's id.</summary>
    private static void AssertAnswersAlike(ApiAnswer forPrivate, ApiAnswer forMissing, string privateName, string missingName)
    {
        Assert.Equal(forMissing.Status, forPrivate.Status);
        Assert.Equal(forMissing.Response.Content.Headers.ContentType?.ToString(), forPrivate.Response.Content.Headers.ContentType?.ToString());
        Assert.Equal(forMissing.Text.Replace(missingName, privateName, StringComparison.Ordinal), forPrivate.Text);
        Assert.Equal(
            forMissing.Response.Headers.Select(h => h.Key).Where(k => k != "Date").Order(StringComparer.Ordinal),
            forPrivate.Response.Headers.Select(h => h.Key).Where(k => k != "Date").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Another_orgs_private_repository_answers_exactly_like_a_missing_one()
    {
        var owner = await _host.NewOrgAsync("sec-owner");
        var other = await _host.NewOrgAsync("sec-other");
        await _host.PublishAsync(owner.Name, "secret", Visibility.Private);
        Assert.Equal(201, (await _host.ForkAsync(owner.Key, $$"""{"source_org":"sec-owner","source_repo":"secret","source_tag":"latest","repo_name":"mine"}""")).Status);

        var cases = new[]
        {
            (Org: owner.Name, Private: "secret", Missing: "secreu", Tag: "latest"),
            (Org: owner.Name, Private: "secret", Missing: "secreu", Tag: "nope"),
            (Org: TestStack.SourceOrg, Private: "internal", Missing: "internax", Tag: "latest"),
        };
        foreach (var c in cases)
        {
            // Synchronously.
            var forPrivate = await _host.ForkAsync(other.Key, ForkBody(c.Org, c.Private, c.Tag));
            var forMissing = await _host.ForkAsync(other.Key, ForkBody(c.Org, c.Missing, c.Tag));
            Assert.Equal(404, forPrivate.Status);
            AssertAnswersAlike(forPrivate, forMissing, c.Private, c.Missing);

            // Asking for an operation: answered at once, before any work, with no operation made — alike as well.
            var privateOp = await _host.ForkAsync(other.Key, ForkBody(c.Org, c.Private, c.Tag), ("Prefer", "respond-async"));
            var missingOp = await _host.ForkAsync(other.Key, ForkBody(c.Org, c.Missing, c.Tag), ("Prefer", "respond-async"));
            Assert.Equal(404, privateOp.Status);
            AssertAnswersAlike(privateOp, missingOp, c.Private, c.Missing);

            // The public repository.
            AssertAnswersAlike(
                await _host.GetAsync($"api/v1/public/repositories/{c.Org}/{c.Private}", null),
                await _host.GetAsync($"api/v1/public/repositories/{c.Org}/{c.Missing}", null),
                c.Private,
                c.Missing);

            // The public tag listing.
            AssertAnswersAlike(
                await _host.GetAsync($"api/v1/public/repositories/{c.Org}/{c.Private}/tags", null),
                await _host.GetAsync($"api/v1/public/repositories/{c.Org}/{c.Missing}/tags", null),
                c.Private,
                c.Missing);
        }

        Assert.DoesNotContain(
            (await _host.GetAsync("api/v1/public/repositories", null)).Object["repositories"]!.AsArray(),
            r => (string?)r!["name"] is "secret" or "internal");
        Figures.Report($"security: another org's private repository answered like a missing one in {cases.Length} cases (fork, fork operation, public repository, public tags)");
    }

    private async Task<ApiAnswer> FinishedOperationAsync(TestOrg org, string id)
    {
        ApiAnswer answer = null!;
        await Eventually.ReachAsync(
            async () => (answer = await _host.GetAsync($"api/v1/repositories/forks/{id}", org.Key)).Status == 200 && (string?)answer.Object["status"] != "pending",
            TimeSpan.FromSeconds(30));
        return answer;
    }

    [Fact]
    public async Task A_revoked_key_is_refused_within_five_seconds_and_writes_nothing()
    {
        var org = await _host.NewOrgAsync("sec-revoked");
        Assert.Equal(200, (await _host.GetAsync("api/v1/repositories", org.Key)).Status);

        var clock = Stopwatch.StartNew();
        Assert.True(await ApiKeys.RevokeAsync(_host.Client, TestStack.ReleaseNamespace, org.KeyId, TestStack.Ct));
        await Eventually.ReachAsync(async () => (await _host.GetAsync("api/v1/repositories", org.Key)).Status == 401, TimeSpan.FromSeconds(5));
        var refusedAfter = clock.Elapsed;

        var fork = await _host.ForkAsync(org.Key, ForkBody("vers", "node"));
        Assert.Equal(401, fork.Status);
        Assert.False((bool)fork.Object["success"]!);
        Assert.Equal("Bearer", fork.Response.Headers.WwwAuthenticate.ToString());
        Assert.Empty(await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace));
        Figures.Report($"security: revoked key refused {refusedAfter.TotalMilliseconds:0} ms after revocation (limit 5000 ms)");
        Assert.True(refusedAfter < TimeSpan.FromSeconds(5), $"refused after {refusedAfter}");
    }

    [Fact]
    public async Task Another_orgs_fork_operation_is_not_found_exactly_like_a_missing_one()
    {
        var owner = await _host.NewOrgAsync("sec-op-owner");
        var other = await _host.NewOrgAsync("sec-op-other");
        var accepted = await _host.ForkAsync(owner.Key, ForkBody("vers", "node"), ("Prefer", "respond-async"));
        Assert.Equal(202, accepted.Status);
        var id = (string)accepted.Object["id"]!;
        const string missingId = "fork-zzzzz";

        var whilePending = await _host.GetAsync($"api/v1/repositories/forks/{id}", other.Key);
        var missing = await _host.GetAsync($"api/v1/repositories/forks/{missingId}", other.Key);
        Assert.Equal(404, whilePending.Status);
        AssertAnswersAlike(whilePending, missing, id, missingId);

        var done = await FinishedOperationAsync(owner, id);
        Assert.Equal("succeeded", (string?)done.Object["status"]);
        var afterwards = await _host.GetAsync($"api/v1/repositories/forks/{id}", other.Key);
        AssertAnswersAlike(afterwards, missing, id, missingId);
        // Nor through the repository listings.
        Assert.Empty((await _host.GetAsync("api/v1/repositories", other.Key)).Object["repositories"]!.AsArray());
        Assert.Equal(404, (await _host.GetAsync("api/v1/repositories/node/tags", other.Key)).Status);
    }

    [Fact]
    public async Task No_log_line_carries_key_material_after_accepted_forged_revoked_and_malformed_keys()
    {
        var org = await _host.NewOrgAsync("sec-logs");
        var revoked = await _host.NewOrgAsync("sec-logs-revoked");
        await ApiKeys.RevokeAsync(_host.Client, TestStack.ReleaseNamespace, revoked.KeyId, TestStack.Ct);
        var forged = org.Key[..36] + new string(org.Key[36] == 'a' ? 'b' : 'a', 1) + org.Key[37..];
        var unknown = ApiKeys.NewKey();
        const string notAKey = "not-a-key-but-a-secret-looking-token-0123456789";
        var custom = "custom-dev-key-" + Guid.NewGuid().ToString("N");
        foreach (var secret in new[] { forged, unknown, notAKey, custom })
        {
            SuiteLogs.RegisterKey(secret);
        }

        var keys = new[] { org.Key, forged, revoked.Key, unknown, notAKey, custom, _host.Host.DevApiKey };
        var requests = 0;
        foreach (var key in keys)
        {
            foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
            {
                (HttpMethod.Get, "api/v1/repositories", null),
                (HttpMethod.Get, "api/v1/repositories/node/tags", null),
                (HttpMethod.Get, "api/v1/repositories/forks/fork-abcde", null),
                (HttpMethod.Post, "api/v1/repositories/fork", ForkBody("vers", "nope")),
                (HttpMethod.Post, "api/v1/repositories/fork", "{not json"),
                (HttpMethod.Get, "api/v1/no-such-endpoint", null),
            })
            {
                await _host.SendAsync(method, path, key, body);
                requests++;
            }

            // The key in other places a careless client might put it.
            await _host.SendAsync(HttpMethod.Get, "api/v1/repositories", null, null, ("Authorization", $"Basic {key}"));
            await _host.SendAsync(HttpMethod.Get, "api/v1/repositories", null, null, ("Authorization", key));
            await _host.SendAsync(HttpMethod.Get, "api/v1/repositories", null, null, ("X-Api-Key", key));
            await _host.SendAsync(HttpMethod.Get, $"api/v1/repositories?api_key={Uri.EscapeDataString(key)}", null, null);
            requests += 4;
        }

        var leaks = SuiteLogs.FindKeyMaterial();
        Figures.Report($"security: key material in log lines: {leaks.Count} (after {requests} requests with {keys.Length} kinds of key; {SuiteLogs.Lines.Count} lines from every host of the suite so far, {SuiteLogs.Keys.Count} keys)");
        Assert.True(leaks.Count == 0, string.Join(Environment.NewLine, leaks.Take(5)));
        Assert.Contains(SuiteLogs.Lines, l => l.Contains(org.KeyId, StringComparison.Ordinal));
    }
}
