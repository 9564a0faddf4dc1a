using Vers.Operator.Forks;
using Vers.Operator.Runtime.LeaderElection;

namespace Vers.Operator.Hosting;

public sealed record VersOperatorOptions
{
    public ForkOptions Forks { get; init; } = new();

    /// <summary>Concurrent fork reconciles (one key is never reconciled twice at once).</summary>
    public int Workers { get; init; } = 4;

    /// <summary>This instance's name in events and the leader lease (the pod name in a cluster).</summary>
    public string Identity { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reconcile only while holding this Lease (several replicas); null reconciles unconditionally.</summary>
    public LeaderElectionOptions? LeaderElection { get; init; }
}
