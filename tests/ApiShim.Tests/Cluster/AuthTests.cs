using System.Diagnostics;
using k8s.Models;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.Kube;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>Revocation, rate limits, and key material kept out of the logs.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AuthTests(ShimCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Api => cluster.Host.ApiAddress;

    private async Task AssertRefusedWithinFiveSecondsAsync(TestOrg org, Func<Task> revoke)
    {
        Assert.Equal(200, (await ShimCluster.GetAsync(Api, "api/v1/repositories", org.Key, Ct)).Status);

        var clock = Stopwatch.StartNew();
        await revoke();
        await Eventually.ReachAsync(async () => (await ShimCluster.GetAsync(Api, "api/v1/repositories", org.Key, Ct)).Status == 401, Ct, TimeSpan.FromSeconds(5));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refused after {clock.Elapsed}");
        var fork = await ShimCluster.ForkAsync(Api, org.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""", Ct);
        Assert.Equal(401, fork.Status);
        Assert.Empty(await cluster.ForksOfAsync(org, Ct));
    }

    [Fact]
    public async Task A_key_revoked_with_the_keys_command_is_refused_within_five_seconds()
    {
        var org = await cluster.NewOrgAsync();

        await AssertRefusedWithinFiveSecondsAsync(org, async () =>
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = await KeysCommand.RevokeAsync(cluster.Host.Client, TestStack.ReleaseNamespace, org.KeyId, stdout, stderr, Ct);
            Assert.Equal(0, code);
        });
    }

    [Fact]
    public async Task A_key_whose_secret_is_deleted_is_refused_within_five_seconds()
    {
        var org = await cluster.NewOrgAsync();

        await AssertRefusedWithinFiveSecondsAsync(
            org, () => cluster.Rest.DeleteAsync(ResourceType.Secret, TestStack.ReleaseNamespace, ApiKeys.SecretName(org.KeyId), Ct));
    }

    [Fact]
    public async Task An_org_over_its_token_bucket_gets_429_with_retry_after_and_the_error_body_and_other_orgs_do_not()
    {
        var busy = await cluster.NewOrgAsync();
        var calm = await cluster.NewOrgAsync();
        await using var shim = await cluster.StartShimAsync(
            o => o with { RateLimit = new OrgRateLimit { Burst = 2, TokensPerPeriod = 1, Period = TimeSpan.FromHours(1) } }, Ct);

        Assert.Equal(200, (await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/repositories", busy.Key, Ct)).Status);
        Assert.Equal(200, (await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/repositories", busy.Key, Ct)).Status);
        var limited = await ShimCluster.ForkAsync(shim.BaseAddress, busy.Key, """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""", Ct);

        Assert.Equal(429, limited.Status);
        Assert.False((bool)limited.Object["success"]!);
        Assert.Contains(busy.Name, (string?)limited.Object["error"], StringComparison.Ordinal);
        var retryAfter = limited.Response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Assert.Empty(await cluster.ForksOfAsync(busy, Ct));
        Assert.Equal(200, (await ShimCluster.GetAsync(shim.BaseAddress, "api/v1/repositories", calm.Key, Ct)).Status);
    }

    [Fact]
    public async Task No_log_line_of_any_level_carries_key_material_for_accepted_or_refused_keys()
    {
        var org = await cluster.NewOrgAsync();
        var forged = org.Key[..36] + new string(org.Key[36] == 'a' ? 'b' : 'a', 1) + org.Key[37..];
        const string notAKey = "not-a-key-but-a-secret-looking-token-0123456789";
        foreach (var key in new[] { org.Key, forged, notAKey, cluster.Host.DevApiKey })
        {
            await ShimCluster.GetAsync(Api, "api/v1/repositories", key, Ct);
            await ShimCluster.ForkAsync(Api, key, """{"source_org":"vers","source_repo":"nope","source_tag":"latest"}""", Ct);
            await ShimCluster.SendAsync(Api, HttpMethod.Get, "api/v1/no-such-endpoint", key, null, Ct);
        }

        var lines = cluster.Logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains(org.KeyId, StringComparison.Ordinal) && l.Contains("Refused", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(org.KeyId, StringComparison.Ordinal) && l.Contains("Authenticated", StringComparison.Ordinal));
        var secrets = cluster.IssuedKeys.Append(forged).Append(notAKey)
            .SelectMany(k => k.Length == 100 ? new[] { k, k[36..] } : [k])
            .ToList();
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(lines, l => l.Contains("Bearer ", StringComparison.OrdinalIgnoreCase) && !l.Contains("WWW-Authenticate", StringComparison.OrdinalIgnoreCase));
    }
}
