using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Vers.Operator.Hosting;

/// <summary>Typed command-line flags for the operator host; bad values stop the process with a clear message.</summary>
public static partial class Flags
{
    /// <summary>A Go-style duration ("90s", "15m", "1h30m", "250ms") or a .NET TimeSpan ("00:15:00").</summary>
    public static TimeSpan Duration(IConfiguration config, string name, TimeSpan fallback) =>
        config[name] is not { Length: > 0 } text ? fallback
            : ParseDuration(text) ?? throw new ArgumentException($"--{name}: '{text}' is not a duration (e.g. 90s, 15m, 1h30m)");

    public static int Int(IConfiguration config, string name, int fallback) =>
        config[name] is not { Length: > 0 } text ? fallback
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
            : throw new ArgumentException($"--{name}: '{text}' is not a positive integer");

    public static TimeSpan? ParseDuration(string text)
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
