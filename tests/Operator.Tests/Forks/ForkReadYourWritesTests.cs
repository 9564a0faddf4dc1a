using Microsoft.Extensions.Logging.Abstractions;
using Vers.Api;
using Vers.Operator.Hosting;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

/// <summary>
/// The fork reads its children through its own writes (<c>ReadYourWrites</c> in <c>ForkServices</c>): a pass that
/// follows a write of its own acts on what the write returned, however far the cache lags. Here the operator's
/// Commit watch is held back (<see cref="HeldWatches"/>), so its cache never shows the fork's Commit at all.
/// </summary>
public sealed class ForkReadYourWritesTests
{
    /// <summary>
    /// The Record step marks the Commit ready, then waits for the repository; the pass the repository's event starts
    /// must see its own status write. Reading the cache's copy instead, it patched the status a second time (seen in
    /// 6 % of a benchmark's forks, when the Commit's event came after the repository's).
    /// </summary>
    [Fact]
    public async Task A_fork_whose_commit_cache_lags_marks_its_commit_ready_once()
    {
        await using var host = await ForkHost.StartAsync(runOperator: false);
        var held = new HeldWatches("commits");
        var statusPatches = new StatusPatches("commits");
        await using var lagging = new VersOperator(host.OperatorClient(held, statusPatches), NullLoggerFactory.Instance, new VersOperatorOptions { Identity = "lagging" });
        await lagging.StartAsync(TestStack.Ct);

        await host.CreateForkAsync(ForkHost.OtherOrg, "lag", repoName: "lag-copy");
        var fork = await host.FinishedAsync(ForkHost.OtherOrg, "lag", within: TimeSpan.FromSeconds(60));

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        Assert.Null(lagging.Caches.Commits.Get(ForkHost.OtherOrg, fork.Status.CommitId!));
        Assert.Equal(1, statusPatches.Count);
        held.Release();
    }

    /// <summary>Counts PATCH requests to the status subresource of one kind (plural).</summary>
    private sealed class StatusPatches(string plural) : DelegatingHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Patch && request.RequestUri is { } uri
                && uri.AbsolutePath.Contains($"/{plural}/", StringComparison.Ordinal) && uri.AbsolutePath.EndsWith("/status", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
