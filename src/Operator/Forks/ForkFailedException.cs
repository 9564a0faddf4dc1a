namespace Vers.Operator.Forks;

/// <summary>
/// The fork cannot succeed: the one way a step says so, whatever the cause — a terminal state it observed, a write the
/// API server or a webhook refused, a source that went away, its deadline. <see cref="ForkReconciler"/> turns it into
/// phase Failed with this reason and message, and rolls back everything the fork created.
/// </summary>
public sealed class ForkFailedException(string reason, string message) : Exception(message)
{
    /// <summary>One of <see cref="ForkReasons"/>.</summary>
    public string Reason { get; } = reason;
}
