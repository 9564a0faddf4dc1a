using k8s.Models;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

/// <summary>
/// What <c>kubectl describe repositoryfork</c> shows: a Normal Created event when the fork starts (with its VM and
/// commit), Succeeded when it ends, and a Warning Failed with the reason when it fails. Events are recorded
/// asynchronously, as client-go's recorder does, so the tests wait for them.
/// </summary>
public sealed class ForkEventsTests(SharedForkHost shared) : IClassFixture<SharedForkHost>
{
    [Fact]
    public async Task A_succeeded_fork_records_Created_then_Succeeded()
    {
        var host = shared.Host;
        await host.CreateForkAsync("dev", "told", repoName: "node-told");

        var fork = await host.FinishedAsync("dev", "told");

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        var events = await EventsAboutAsync(host, fork, 2);
        Assert.Equal([("Normal", "Created"), ("Normal", "Succeeded")], events.Select(e => (e.Type, e.Reason)));
        Assert.Contains(fork.Status.VmId!, events[0].Note, StringComparison.Ordinal);
        Assert.Contains("node-told:latest", events[1].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_fork_records_a_Failed_warning_with_its_reason()
    {
        var host = shared.Host;
        await host.CreateForkAsync("dev", "loud", sourceRepo: "absent");

        var fork = await host.FinishedAsync("dev", "loud");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        var warning = Assert.Single(await EventsAboutAsync(host, fork, 1));
        Assert.Equal(("Warning", "Failed"), (warning.Type, warning.Reason));
        Assert.StartsWith(ForkReasons.SourceNotFound, warning.Note, StringComparison.Ordinal);
    }

    /// <summary>The events about the fork, oldest first, once there are <paramref name="count"/> of them.</summary>
    private static async Task<List<Eventsv1Event>> EventsAboutAsync(TestStack host, RepositoryFork fork, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var events = (await host.ListAsync<Eventsv1Event>(ResourceType.EventV1, fork.Metadata.NamespaceProperty))
                .Where(e => e.Regarding?.Uid == fork.Metadata.Uid).OrderBy(e => e.EventTime).ToList();
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(20, TestStack.Ct);
        }
    }
}
