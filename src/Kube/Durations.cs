using System.Globalization;
using System.Text.RegularExpressions;

namespace Vers.Kube;

/// <summary>
/// Duration text as Kubernetes objects and flags write it: Go's <c>time.Duration</c> (metav1.Duration) or a .NET
/// TimeSpan. Shared by the programs' flags (<c>Flags.Duration</c>) and the KubeVirt simulator (durations in specs).
/// </summary>
public static partial class Durations
{
    /// <summary>A Go-style duration ("90s", "15m", "1h30m", "250ms") or a .NET TimeSpan ("00:15:00").</summary>
    public static TimeSpan? Parse(string text)
    {
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && text.Contains(':', StringComparison.Ordinal))
        {
            return span;
        }

        var parts = GoDuration().Matches(text);
        if (parts.Count == 0 || parts.Sum(m => m.Length) != text.Length)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Match part in parts)
        {
            var value = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                "us" or "µs" => TimeSpan.FromMicroseconds(value),
                _ => TimeSpan.FromTicks((long)(value / 100)),
            };
        }

        return total;
    }

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex GoDuration();
}
