namespace Vers.Operator.Forks;

public sealed record ForkOptions
{
    /// <summary>How long the VM may take to exist with its disks populated (VirtualMachineClone or DataVolumes).</summary>
    public TimeSpan CloneTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long the new VM may take to run once created.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the commit's VirtualMachineSnapshot may take to become readyToUse.</summary>
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromMinutes(15);

    public const string Finalizer = "vers.sh/fork-rollback";
    public const string FieldManager = "vers-operator";
}
