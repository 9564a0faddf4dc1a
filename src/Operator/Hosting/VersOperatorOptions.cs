using Vers.Operator.Forks;
using Vers.Kube.LeaderElection;

namespace Vers.Operator.Hosting;

public sealed record VersOperatorOptions
{
    public ForkOptions Forks { get; init; } = new();

    /// <summary>Concurrent fork reconciles (one key is never reconciled twice at once).</summary>
    public int Workers { get; init; } = 4;

    /// <summary>Per-key retry backoff after a failed reconcile: doubles from this base...</summary>
    public TimeSpan RequeueBaseDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>...up to this maximum (controller-runtime's defaults).</summary>
    public TimeSpan RequeueMaxDelay { get; init; } = TimeSpan.FromSeconds(1000);

    /// <summary>This instance's name in events, fork logs and the leader lease (the pod name in a cluster).</summary>
    public string Identity { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reconcile only while holding this Lease (several replicas); null reconciles unconditionally.</summary>
    public LeaderElectionOptions? LeaderElection { get; init; }
}
