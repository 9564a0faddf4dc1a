using k8s.Models;
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.Runtime;

namespace Vers.Operator.Tests.Forks;

/// <summary>
/// Events are for what status alone does not tell a user: a succeeded fork publishes none (its status and Ready
/// condition say it, and each Event is an API write); a failed one publishes a Warning.
/// </summary>
public sealed class ForkEventsTests(SharedForkHost shared) : IClassFixture<SharedForkHost>
{
    [Fact]
    public async Task A_succeeded_fork_publishes_no_events_its_Ready_condition_says_Succeeded()
    {
        var host = shared.Host;
        await host.CreateForkAsync("dev", "quiet", repoName: "node-quiet");

        var fork = await host.FinishedAsync("dev", "quiet");

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        Assert.Equal("Succeeded", fork.Status.Conditions!.Single(c => c.Type == "Ready").Reason);
        Assert.Empty(await EventsAboutAsync(host, fork));
    }

    [Fact]
    public async Task A_failed_fork_publishes_a_ForkFailed_warning_with_its_reason()
    {
        var host = shared.Host;
        await host.CreateForkAsync("dev", "loud", sourceRepo: "absent");

        var fork = await host.FinishedAsync("dev", "loud");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        var warning = Assert.Single(await EventsAboutAsync(host, fork));
        Assert.Equal(("Warning", "ForkFailed"), (warning.Type, warning.Reason));
        Assert.StartsWith(ForkReasons.SourceNotFound, warning.Note, StringComparison.Ordinal);
    }

    private static async Task<List<Eventsv1Event>> EventsAboutAsync(ForkHost host, RepositoryFork fork) =>
        [.. (await host.ListAsync<Eventsv1Event>(ResourceType.EventV1, fork.Metadata.NamespaceProperty)).Where(e => e.Regarding?.Uid == fork.Metadata.Uid)];
}
