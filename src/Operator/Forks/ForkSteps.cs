namespace Vers.Operator.Forks;

/// <summary>Values of status.step.</summary>
public static class ForkSteps
{
    /// <summary>Working through the steps (the value older operators wrote, kept so that their forks resume).</summary>
    public const string Forking = "CreatingVM";
    public const string RollingBack = "RollingBack";
    public const string Done = "Done";
}
