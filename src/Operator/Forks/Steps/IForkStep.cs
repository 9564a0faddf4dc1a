using Vers.Kube.Controllers;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// One step of the fork pipeline. <see cref="RunAsync"/> makes sure the step's objects exist (deterministic names, or
/// ids recorded in status before they are created, so a crash after any write resumes without creating anything twice)
/// and observes their progress: done, still waiting, or — by throwing <see cref="ForkFailedException"/> — failed for
/// good (a terminal state, a refused write, a deadline). <see cref="RollbackAsync"/> removes what the step created,
/// idempotently, touching only objects provably the fork's own.
/// </summary>
public interface IForkStep
{
    /// <summary>For logs and status.step.</summary>
    string Name { get; }

    Task<StepResult> RunAsync(ForkContext fork, CancellationToken ct);

    Task RollbackAsync(ForkContext fork, CancellationToken ct);
}

/// <summary>A step's outcome when it has not failed: done, or waiting (woken by its objects' events, or at its deadline).</summary>
public readonly record struct StepResult(ReconcileResult? Wait)
{
    public static StepResult Done => default;

    public bool IsDone => Wait is null;

    public static StepResult Waiting(ReconcileResult wait) => new(wait);
}
