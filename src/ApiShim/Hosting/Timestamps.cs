using System.Globalization;

namespace Vers.ApiShim.Hosting;

/// <summary>RFC 3339 timestamps in UTC with second precision, as Vers answers them.</summary>
public static class Timestamps
{
    public static string? Format(DateTime? time) =>
        time is { } t
            ? (t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : null;
}
