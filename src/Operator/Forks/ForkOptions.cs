namespace Vers.Operator.Forks;

/// <summary>
/// Time budgets of a fork. Each is added to the ones before it and measured from the fork's <c>status.startTime</c>,
/// so a restart of the operator never gives a fork more time: the VM must exist with its disks by
/// start + <see cref="CloneTimeout"/>, run by start + clone + <see cref="StartTimeout"/>, and be committed by
/// start + clone + start + <see cref="SnapshotTimeout"/>.
/// </summary>
public sealed record ForkOptions
{
    /// <summary>How long the VM may take to exist with its disks populated (VirtualMachineClone or DataVolumes).</summary>
    public TimeSpan CloneTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long the new VM may then take to run.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the commit's VirtualMachineSnapshot may then take to become readyToUse (also its failureDeadline).</summary>
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromMinutes(15);

    public const string Finalizer = "vers.sh/fork-rollback";
    public const string FieldManager = "vers-operator";
}
