using Microsoft.Extensions.Logging;

namespace Vers.Operator.Forks;

/// <summary>
/// Log event ids of a fork's milestones (the Kubernetes Events Created, Succeeded and Failed say the same to kubectl);
/// the log records also carry the operator instance.
/// </summary>
public static class ForkLogEvents
{
    public static readonly EventId Started = new(1, "ForkStarted");
    public static readonly EventId Succeeded = new(2, "ForkSucceeded");
    public static readonly EventId Failed = new(3, "ForkFailed");
}
