namespace Vers.Kube.Controllers;

/// <summary>
/// Level-triggered reconciliation of one object: read the world, make it right, report. Must be
/// idempotent. An exception means "retry with backoff"; <see cref="TerminalReconcileException"/>
/// means "do not retry until the object changes".
/// </summary>
public interface IReconciler<in T>
{
    Task<ReconcileResult> ReconcileAsync(T obj, CancellationToken ct);
}

public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

/// <summary>An error that retrying cannot fix; the key is dropped until its object changes.</summary>
public sealed class TerminalReconcileException(string message, Exception? inner = null) : Exception(message, inner);
