using Vers.Api;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// Crash at every step: a reference run records every write the operator makes to the fork's org during a
/// cross-org fork, a same-org fork, and a same-org fork whose clone fails (so its rollback is crashed too); then, for
/// each write k, a fresh operator is killed right after its k-th write
/// (applied, response lost, nothing written after), another fresh instance is started, and the fork must converge
/// to the same result as the reference: one VM, one VirtualMachineSnapshot of the new commit, one Commit, one Tag,
/// the claimed Repository, no orphan of any kind, and the ids recorded before the crash — or, for the failing fork,
/// Failed with reason CloneFailed and nothing left but the RepositoryFork.
/// VERS_RELIABILITY_CRASH_POINTS caps the crash points per fork kind (default: all of them).
/// </summary>
[Trait("Category", "Reliability")]
public sealed class CrashAtEveryStepTests : IAsyncLifetime
{
    private TestStack _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await ReliabilityHost.StartAsync(o => o with { RunOperator = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private sealed record CaseResult(RepositoryFork Fork, IReadOnlyList<string> Writes, string Shape, ForkAudit.Result Audit, bool CrashReached, bool IdsKept);

    [Theory]
    [InlineData("cross-org")]
    [InlineData("same-org")]
    [InlineData("clone-fails")]
    public async Task A_fork_converges_to_the_same_result_when_the_operator_dies_right_after_any_one_of_its_writes(string kind)
    {
        var sourceBefore = (await _host.Inventory.OfAsync(TestStack.SourceOrg, TestStack.Ct)).Names;
        var reference = await RunCaseAsync(kind, "ref", limit: null);
        Assert.True(reference.Audit.Clean, reference.Audit.ToString());
        Assert.Equal(kind == "clone-fails" ? ForkPhase.Failed : ForkPhase.Succeeded, reference.Fork.Status?.Phase);
        var points = Math.Min(reference.Writes.Count, Figures.FromEnvironment("VERS_RELIABILITY_CRASH_POINTS", int.MaxValue));
        Figures.Report($"crash-at-every-step {kind}: the operator's {reference.Writes.Count} writes to the fork's org: {string.Join("; ", reference.Writes.Select((w, i) => $"{i + 1}. {w}"))}");

        var failures = new List<string>();
        int reached = 0, orphans = 0, duplicates = 0;
        for (var k = 1; k <= points; k++)
        {
            var result = await RunCaseAsync(kind, k.ToString(System.Globalization.CultureInfo.InvariantCulture), limit: k);
            reached += result.CrashReached ? 1 : 0;
            orphans += result.Audit.Orphans.Count;
            duplicates += result.Audit.Duplicates.Count;
            if (result.Fork.Status?.Phase != reference.Fork.Status?.Phase || result.Fork.Status?.Error?.Reason != reference.Fork.Status?.Error?.Reason)
            {
                failures.Add($"crash after write {k}: fork {result.Fork.Status?.Phase} {result.Fork.Status?.Error?.Reason} {result.Fork.Status?.Error?.Message}");
            }

            if (!result.Audit.Clean)
            {
                failures.Add($"crash after write {k}: {result.Audit}");
            }

            if (result.Shape != reference.Shape)
            {
                failures.Add($"crash after write {k}: result {result.Shape} differs from the reference {reference.Shape}");
            }

            if (!result.IdsKept)
            {
                failures.Add($"crash after write {k}: the resumed fork chose new ids");
            }
        }

        // Nothing appeared in (or vanished from) the source org either.
        var sourceAfter = (await _host.Inventory.OfAsync(TestStack.SourceOrg, TestStack.Ct)).Names;
        if (!sourceAfter.SetEquals(sourceBefore))
        {
            failures.Add($"source org changed: +[{string.Join(", ", sourceAfter.Except(sourceBefore))}] -[{string.Join(", ", sourceBefore.Except(sourceAfter))}]");
        }

        Figures.Report($"crash-at-every-step {kind}: {points} crash points run, {reached} crashed as planned (the rest converged before reaching the write), duplicates {duplicates}, orphans {orphans}, failures {failures.Count}");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.True(reached >= points * 3 / 4, $"only {reached} of {points} crash points were reached");
    }

    /// <summary>One fork in a new org, by an operator that dies after <paramref name="limit"/> writes (null: never) and a fresh one that finishes.</summary>
    private async Task<CaseResult> RunCaseAsync(string kind, string label, int? limit)
    {
        var org = $"{kind switch { "cross-org" => "cx", "same-org" => "cs", _ => "cf" }}-{label}";
        await _host.EnsureOrgAsync(org);
        string sourceOrg = TestStack.SourceOrg, repoName = "node";
        if (kind is "same-org" or "clone-fails")
        {
            await _host.PublishAsync(org, "node");
            (sourceOrg, repoName) = (org, "node-copy");
        }

        var baseline = (await _host.Inventory.OfAsync(org, TestStack.Ct)).Names;
        var crashing = new CrashAfterWrites(limit, org);
        var first = _host.NewOperator($"operator-{org}", _host.OperatorClient(crashing));
        await first.StartAsync(TestStack.Ct);
        if (kind == "clone-fails")
        {
            _host.Simulator.FailNext("VirtualMachineClone", org);
        }

        var created = await _host.CreateForkAsync(org, "fork", sourceOrg, "node", repoName);

        RepositoryFork? beforeCrash = null;
        if (limit is not null)
        {
            var finished = _host.FinishedAsync(org, "fork");
            await Task.WhenAny(crashing.Crashed, finished);
            beforeCrash = await _host.Rest.GetAsync<RepositoryFork>(RepositoryFork.Type, org, "fork", TestStack.Ct);
            await first.DisposeAsync();
            await using var second = _host.NewOperator($"operator-{org}-restarted");
            await second.StartAsync(TestStack.Ct);
            var fork = await _host.FinishedAsync(org, "fork");
            return await ResultAsync(org, baseline, fork, crashing, beforeCrash);
        }

        var done = await _host.FinishedAsync(org, "fork");
        // Let anything that follows the fork's last write (repository status, events) happen before counting.
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestStack.Ct);
        await first.DisposeAsync();
        Assert.Equal(created.Metadata.Uid, done.Metadata.Uid);
        return await ResultAsync(org, baseline, done, crashing, null);
    }

    private async Task<CaseResult> ResultAsync(string org, HashSet<(string Kind, string Name)> baseline, RepositoryFork fork, CrashAfterWrites crashing, RepositoryFork? beforeCrash)
    {
        var inventory = await _host.Inventory.OfAsync(org, TestStack.Ct);
        var audit = ForkAudit.Check(inventory, baseline, [fork]);
        var idsKept = beforeCrash?.Status?.VmId is null
            || (beforeCrash.Status.VmId == fork.Status?.VmId && beforeCrash.Status.CommitId == fork.Status?.CommitId);
        return new CaseResult(fork, crashing.Writes, inventory.Shape, audit, crashing.HasCrashed, idsKept);
    }
}
