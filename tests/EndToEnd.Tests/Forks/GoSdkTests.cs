using Vers.Api;

namespace Vers.EndToEnd.Tests.Forks;

/// <summary>
/// The fork API driven exactly as Vers' official Go SDK drives it (<see cref="GoSdkClient"/>: its paths, headers,
/// X-Idempotency-Key, retries on 409 and 5xx, its per-attempt timeout), against the all-in-one host: a program
/// written for Vers works unmodified.
/// </summary>
public sealed class GoSdkTests(AllInOneFixture cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The SDK with the fixture's key, on a base URL that ends in "/" (so every path starts "//").</summary>
    private GoSdkClient Sdk(TimeSpan? timeout = null) =>
        new(cluster.Host.ApiAddress.ToString(), AllInOneFixture.DevApiKey) { Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public async Task The_sdk_forks_and_then_reads_the_repository_and_tag_the_fork_made()
    {
        using var sdk = Sdk();
        var repo = Unique("sdk-node");

        var fork = await sdk.ForkRepositoryAsync("vers", "node", "latest", repoName: repo, tagName: "v1");
        var repository = await sdk.GetRepositoryAsync(repo);
        var tag = await sdk.GetRepoTagAsync(repo, "v1");
        var listed = await sdk.ListRepositoriesAsync();

        Assert.Equal(repo, (string?)fork["repo_name"]);
        Assert.Equal("v1", (string?)fork["tag_name"]);
        Assert.Equal($"{repo}:v1", (string?)fork["reference"]);
        Assert.True(Guid.TryParse((string?)fork["commit_id"], out _));
        Assert.Equal(repo, (string?)repository["name"]);
        Assert.False((bool)repository["is_public"]!);
        Assert.False(string.IsNullOrEmpty((string?)repository["repo_id"]));
        Assert.Equal((string?)fork["commit_id"], (string?)tag["commit_id"]);
        Assert.Equal($"{repo}:v1", (string?)tag["reference"]);
        Assert.Contains(listed["repositories"]!.AsArray(), r => (string?)r!["name"] == repo);
        var attempt = sdk.Attempts[0];
        Assert.Equal("POST", attempt.Method);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", attempt.IdempotencyKey);
        Assert.All(sdk.Attempts, a => Assert.Equal(200 + (a.Method == "POST" ? 1 : 0), a.Status));
    }

    [Fact]
    public async Task The_sdk_reads_public_repositories_and_resolves_a_public_tag_to_its_commit()
    {
        using var sdk = Sdk();

        var all = await sdk.ListPublicRepositoriesAsync();
        var repository = await sdk.GetPublicRepositoryAsync("vers", "python");
        var tags = await sdk.ListPublicRepoTagsAsync("vers", "python");
        var tag = await sdk.GetPublicRepoTagAsync("vers", "python", "latest");

        Assert.Contains(all["repositories"]!.AsArray(), r => (string?)r!["full_name"] == "vers/python");
        Assert.Equal("vers/python", (string?)repository["full_name"]);
        Assert.Equal("vers", (string?)repository["org_name"]);
        Assert.Equal("python", (string?)tags["repository"]);
        Assert.Equal("python:latest", (string?)tag["reference"]);
        var stored = await cluster.Rest.GetAsync<Tag>(Tag.Type, "vers", "python.latest", Ct);
        Assert.Equal(stored.Spec.CommitId, (string?)tag["commit_id"]);
    }

    [Fact]
    public async Task Another_orgs_private_repository_is_an_sdk_error_404_like_a_missing_one()
    {
        using var sdk = Sdk();

        var forPrivate = await Assert.ThrowsAsync<GoSdkApiError>(() => sdk.GetPublicRepositoryAsync("vers", "internal"));
        var forMissing = await Assert.ThrowsAsync<GoSdkApiError>(() => sdk.GetPublicRepositoryAsync("vers", "internax"));
        var forkPrivate = await Assert.ThrowsAsync<GoSdkApiError>(() => sdk.ForkRepositoryAsync("vers", "internal", "latest"));

        Assert.Equal(404, forPrivate.Status);
        Assert.Equal(forMissing.Body.Replace("internax", "internal", StringComparison.Ordinal), forPrivate.Body);
        Assert.Equal(404, forkPrivate.Status);
        Assert.Equal("""{"error":"source repository or tag not found: vers/internal:latest","success":false}""", forkPrivate.Body);
    }

    [Fact]
    public async Task The_clis_login_check_and_key_validation_succeed_with_a_valid_key()
    {
        using var sdk = Sdk();

        var vms = await sdk.ListVmsAsync();
        var validation = await sdk.ValidateKeyAsync();

        Assert.NotNull(vms);
        Assert.All(vms, vm => Assert.False(string.IsNullOrEmpty((string?)vm!["vm_id"])));
        Assert.True((bool)validation["valid"]!);
    }

    [Fact]
    public async Task A_409_the_sdk_retries_three_times_leaves_no_failed_fork_behind()
    {
        using var sdk = Sdk();
        var repo = Unique("sdk-dup");
        await sdk.ForkRepositoryAsync("vers", "go", "latest", repoName: repo);
        var before = await cluster.CountForksAsync();

        var conflict = await Assert.ThrowsAsync<GoSdkApiError>(() => sdk.ForkRepositoryAsync("vers", "go", "latest", repoName: repo));

        Assert.Equal(409, conflict.Status);
        Assert.Equal($$"""{"error":"repository {{repo}} already exists","success":false}""", conflict.Body);
        var tries = sdk.Attempts.Skip(1).ToList();
        Assert.Equal([409, 409, 409], tries.Select(a => a.Status));
        Assert.Single(tries.Select(a => a.IdempotencyKey).Distinct());
        Assert.InRange(await cluster.CountForksAsync() - before, 0, 1);
    }

    [Fact]
    public async Task A_fork_slower_than_the_sdks_timeout_reaches_the_sdk_when_its_retry_reattaches()
    {
        // Every simulated KubeVirt/CDI step takes 600 ms: the fork takes several seconds, longer than one attempt.
        var options = cluster.Host.Simulator.Options;
        var latency = options.Latency;
        options.Latency = TimeSpan.FromMilliseconds(600);
        try
        {
            using var sdk = Sdk(timeout: TimeSpan.FromSeconds(1.5));
            var repo = Unique("sdk-slow");
            var before = await cluster.CountForksAsync();

            var fork = await sdk.ForkRepositoryAsync("vers", "rust", "latest", repoName: repo);

            Assert.Equal($"{repo}:latest", (string?)fork["reference"]);
            var attempts = sdk.Attempts;
            Assert.True(attempts.Count >= 2, $"the first attempt timed out: {string.Join(", ", attempts)}");
            Assert.Null(attempts[0].Status);
            Assert.Equal(201, attempts[^1].Status);
            Assert.Single(attempts.Select(a => a.IdempotencyKey).Distinct());
            Assert.Equal(before + 1, await cluster.CountForksAsync());
            Assert.Equal((string?)fork["vm_id"], (await cluster.Rest.GetAsync<Kube.GenericObject>(Api.KubeVirt.KubeVirtTypes.VirtualMachine, "dev", (string)fork["vm_id"]!, Ct)).Metadata.Name);
        }
        finally
        {
            options.Latency = latency;
        }
    }
}
