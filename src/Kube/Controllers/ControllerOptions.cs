namespace Vers.Kube.Controllers;

public sealed record ControllerOptions
{
    public int Workers { get; init; } = 1;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(5);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(1000);
}
