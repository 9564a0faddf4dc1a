using Vers.Operator.Forks;
using Vers.Kube.Informers;
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

    /// <summary>
    /// Where the operator's informers come from: a factory shared with the other components of one process (the
    /// all-in-one host), whose owner starts and stops it. Null: a factory of the operator's own, stopped with it.
    /// </summary>
    public SharedInformerFactory? Informers { get; init; }

    /// <summary>
    /// Cache every VirtualMachineClone and DataVolume, not only those carrying a fork's uid label: for a process whose
    /// simulator caches them all, so that the operator uses that informer instead of a filtered second copy. Events of
    /// objects no fork made map to no fork.
    /// </summary>
    public bool CacheAllClonesAndDataVolumes { get; init; }

    /// <summary>
    /// Keep each Tag's managedFields entries (who wrote it and when, without the field sets), as the fork API caches
    /// Tags for updated_at: in one process both then use one informer. The operator reads none of them.
    /// </summary>
    public bool CacheTagWriters { get; init; }
}
