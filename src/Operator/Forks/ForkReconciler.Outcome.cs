using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.Api;
using Vers.Operator.Forks.Steps;
using Vers.Kube.Controllers;
using Vers.Kube.Status;

namespace Vers.Operator.Forks;

// How a fork ends: succeeded, failed (and rolled back), deleted while unfinished, or expired after its TTL; and the
// metrics of finished forks.
public sealed partial class ForkReconciler
{
    private static readonly Counter ForksTotal = Metrics.CreateCounter("vers_forks_total", "Forks finished, by result.", "result");
    private static readonly Histogram ForkDuration = Metrics.CreateHistogram(
        "vers_fork_duration_seconds",
        "Time from the operator's first look at a fork to its terminal phase.",
        new HistogramConfiguration { LabelNames = ["result"], Buckets = Histogram.ExponentialBuckets(0.05, 2, 16) });

    private async Task<ReconcileResult> SucceedAsync(ForkContext fork, CancellationToken ct)
    {
        var status = fork.Status;
        var now = _services.Now();
        status.Phase = ForkPhase.Succeeded;
        status.Step = ForkSteps.Done;
        status.Reference = $"{status.RepoName}:{status.TagName}";
        status.Error = null;
        status.CompletionTime = now;
        status.ObservedGeneration = fork.Fork.Metadata.Generation;
        status.Conditions ??= [];
        Conditions.Set(status.Conditions, Condition("Ready", Conditions.True, "Succeeded", $"forked {status.Source} into {status.Reference}", fork.Fork), now);
        var written = await WriteStatusAsync(fork.Fork, ct);
        Observe("succeeded", written);
        _logger.LogInformation(
            ForkLogEvents.Succeeded,
            "Fork {Namespace}/{Name} succeeded: {Reference}, vm {VmId}, commit {CommitId}",
            written.Metadata.NamespaceProperty, written.Metadata.Name, status.Reference, status.VmId, status.CommitId);
        await _events.NormalAsync(written, "Succeeded", "Fork", $"Forked {status.Source} into {status.Reference}: VirtualMachine {status.VmId}, commit {status.CommitId}", ct);
        written = await RemoveFinalizerAsync(written, ct);
        return await ExpireAsync(written, ct);
    }

    /// <summary>
    /// The one failure path. Records the failure first (the cause may be gone after rollback), removes what the fork
    /// created — only when it created anything: ids recorded, or a claim from an earlier pass — then marks it Failed.
    /// Resumable: a crash mid-rollback resumes from status.step RollingBack.
    /// </summary>
    private async Task FailAsync(ForkContext fork, string reason, string message, CancellationToken ct)
    {
        var status = fork.Status;
        var now = _services.Now();
        status.Error = new ForkError { Reason = reason, Message = message };
        status.ObservedGeneration = fork.Fork.Metadata.Generation;
        if (status.Step == ForkSteps.RollingBack || status.VmId is not null || _claim.HoldsClaim(fork, ClaimRepositoryStep.RepoNameOf(fork)))
        {
            if (status.Step != ForkSteps.RollingBack)
            {
                status.Step = ForkSteps.RollingBack;
                fork.Fork = await WriteStatusAsync(fork.Fork, ct);
                status = fork.Status;
            }

            await RollbackAsync(fork, ct);
        }

        status.Phase = ForkPhase.Failed;
        status.Step = ForkSteps.Done;
        status.CompletionTime = now;
        status.Conditions ??= [];
        Conditions.Set(status.Conditions, Condition("Ready", Conditions.False, reason, message, fork.Fork), now);
        var written = await WriteStatusAsync(fork.Fork, ct);
        Observe("failed", written);
        _logger.LogInformation(ForkLogEvents.Failed, "Fork {Namespace}/{Name} failed: {Reason}: {Message}", written.Metadata.NamespaceProperty, written.Metadata.Name, reason, message);
        await _events.WarningAsync(written, "Failed", "Fork", $"{reason}: {message}", ct);
        if (HasFinalizer(written))
        {
            await RemoveFinalizerAsync(written, ct);
        }
    }

    /// <summary>Every step's rollback, last step first. Idempotent; each touches only objects provably the fork's own.</summary>
    private async Task RollbackAsync(ForkContext fork, CancellationToken ct)
    {
        IForkStep[] vmSteps = fork.Status.Resolved is null ? [] : [fork.SameNamespace ? _clone : _copy];
        foreach (var step in _afterVm.Reverse().Concat(vmSteps).Append(_claim))
        {
            await step.RollbackAsync(fork, ct);
        }

        await _events.NormalAsync(
            fork.Fork, "RolledBack", "Rollback", $"Removed what the fork had created; repository name {ClaimRepositoryStep.RepoNameOf(fork)} is free again", ct);
    }

    private async Task FinalizeAsync(ForkContext fork, CancellationToken ct)
    {
        if (!HasFinalizer(fork.Fork))
        {
            return;
        }

        // A finished fork's results outlive it; an unfinished one is rolled back — even before its ids
        // were recorded, since the target Repository is claimed first (rollback removes only what is provably ours).
        if (fork.Status.Phase != ForkPhase.Succeeded)
        {
            await RollbackAsync(fork, ct);
            Observe("deleted", fork.Fork);
        }

        await RemoveFinalizerAsync(fork.Fork, ct);
    }

    /// <summary>
    /// spec.ttlSecondsAfterFinished (spec.ttlSecondsAfterFailure for a failed fork, when set): delete the finished
    /// RepositoryFork (never its results).
    /// </summary>
    private async Task<ReconcileResult> ExpireAsync(RepositoryFork fork, CancellationToken ct)
    {
        var ttl = fork.Status?.Phase == ForkPhase.Failed ? fork.Spec.TtlSecondsAfterFailure ?? fork.Spec.TtlSecondsAfterFinished : fork.Spec.TtlSecondsAfterFinished;
        if (ttl is null || fork.Status?.CompletionTime is not { } completed)
        {
            return ReconcileResult.Done;
        }

        var remaining = DateTime.SpecifyKind(completed, DateTimeKind.Utc).AddSeconds(ttl.Value) - _services.Now();
        if (remaining > TimeSpan.Zero)
        {
            return ReconcileResult.After(remaining);
        }

        await _services.Client.DeleteAsync(RepositoryFork.Type, fork.Metadata.NamespaceProperty, fork.Metadata.Name, ct, uidPrecondition: fork.Metadata.Uid);
        return ReconcileResult.Done;
    }

    private void Observe(string result, RepositoryFork fork)
    {
        ForksTotal.WithLabels(result).Inc();
        if (fork.Status?.StartTime is { } start)
        {
            ForkDuration.WithLabels(result).Observe(Math.Max(0, (_services.Now() - DateTime.SpecifyKind(start, DateTimeKind.Utc)).TotalSeconds));
        }
    }
}
