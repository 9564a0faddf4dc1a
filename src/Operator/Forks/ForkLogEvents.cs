using Microsoft.Extensions.Logging;

namespace Vers.Operator.Forks;

/// <summary>
/// Log event ids of a fork's milestones. The success path publishes no Kubernetes Events (each would be an API
/// write), so these log records, with the operator instance, are where log tools and tests find them.
/// </summary>
public static class ForkLogEvents
{
    public static readonly EventId Started = new(1, "ForkStarted");
    public static readonly EventId Succeeded = new(2, "ForkSucceeded");
    public static readonly EventId Failed = new(3, "ForkFailed");
}
