namespace Vers.Operator.Runtime.Informers;

public sealed record InformerOptions
{
    /// <summary>Watch only this namespace; null watches all namespaces.</summary>
    public string? Namespace { get; init; }

    public string? LabelSelector { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Server-side watch timeout; like client-go, a random value in [min, 2·min) so reconnects spread out.</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
