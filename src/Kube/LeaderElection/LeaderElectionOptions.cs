namespace Vers.Kube.LeaderElection;

/// <summary>controller-runtime's defaults: 15 s lease, 10 s renew deadline, 2 s retry.</summary>
public sealed record LeaderElectionOptions(string Namespace, string LeaseName)
{
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
