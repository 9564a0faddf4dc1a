using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>
/// The JSON text of the apimachinery time types, as their Go marshallers write and read it:
/// k8s.io/apimachinery/pkg/apis/meta/v1/time.go (<c>Time.MarshalJSON</c>, RFC 3339 in UTC to the second),
/// micro_time.go (<c>MicroTime.MarshalJSON</c>, RFC 3339 with 6 fractional digits) and duration.go
/// (<c>Duration.MarshalJSON</c>, Go's <c>time.Duration.String</c>, read back with <c>time.ParseDuration</c>).
/// </summary>
internal static partial class GoFormats
{
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary><c>Time.MarshalJSON</c>: <c>t.UTC().Format(time.RFC3339)</c>.</summary>
    public static string Time(long seconds) => Utc(seconds, 0).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary><c>MicroTime.MarshalJSON</c>: <c>t.UTC().Format(RFC3339Micro)</c>, the nanoseconds cut to microseconds.</summary>
    public static string MicroTime(long seconds, long nanos)
    {
        var t = Utc(seconds, nanos);
        var micros = (int)(FloorMod(nanos, NanosPerSecond) / 1000);
        return t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + micros.ToString("D6", CultureInfo.InvariantCulture) + "Z";
    }

    /// <summary>
    /// <c>time.Parse(time.RFC3339, s)</c> as <c>Time.UnmarshalJSON</c> and <c>MicroTime.UnmarshalJSON</c> read it: the
    /// Unix seconds and the nanoseconds within them.
    /// </summary>
    public static (long Seconds, int Nanos) ParseTime(string text)
    {
        var m = Rfc3339().Match(text);
        if (!m.Success)
        {
            throw new KubeProtobufException($"parsing time \"{text}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse as RFC 3339");
        }

        int Part(int i) => int.Parse(m.Groups[i].ValueSpan, CultureInfo.InvariantCulture);
        try
        {
            var offset = m.Groups[8].Value is "Z" or "z" ? TimeSpan.Zero
                : (m.Groups[8].Value[0] == '-' ? -1 : 1) * new TimeSpan(int.Parse(m.Groups[8].ValueSpan[1..3], CultureInfo.InvariantCulture), int.Parse(m.Groups[8].ValueSpan[4..6], CultureInfo.InvariantCulture), 0);
            var local = new DateTimeOffset(Part(1), Part(2), Part(3), Part(4), Part(5), Part(6), offset);
            var fraction = m.Groups[7].Success ? m.Groups[7].Value[1..] : "";
            var nanos = fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(9, '0')[..9], CultureInfo.InvariantCulture);
            return (local.ToUnixTimeSeconds(), nanos);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new KubeProtobufException($"parsing time \"{text}\": value out of range");
        }
    }

    /// <summary><c>time.Duration.String</c>: <c>72h3m0.5s</c>, <c>1.5s</c>, <c>100ms</c>, <c>1µs</c>, <c>0s</c>.</summary>
    public static string Duration(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }

        var u = nanoseconds < 0 ? (ulong)-(nanoseconds + 1) + 1 : (ulong)nanoseconds;
        string text;
        if (u < NanosPerSecond)
        {
            var (unit, precision) = u < 1000 ? ("ns", 0) : u < 1_000_000 ? ("\u00b5s", 3) : ("ms", 6);
            text = Fraction(u, precision) + unit;
        }
        else
        {
            var seconds = u / NanosPerSecond;
            text = (seconds % 60).ToString(CultureInfo.InvariantCulture) + Fraction(u % NanosPerSecond, 9)[1..] + "s";
            var minutes = seconds / 60;
            if (minutes > 0)
            {
                text = (minutes % 60).ToString(CultureInfo.InvariantCulture) + "m" + text;
                var hours = minutes / 60;
                if (hours > 0)
                {
                    text = hours.ToString(CultureInfo.InvariantCulture) + "h" + text;
                }
            }
        }

        return nanoseconds < 0 ? "-" + text : text;
    }

    /// <summary><c>time.ParseDuration</c>: signed sequences of decimal numbers with units ns, us (µs, μs), ms, s, m, h.</summary>
    public static long ParseDuration(string text)
    {
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return 0;
        }

        if (s.IsEmpty)
        {
            throw Invalid(text);
        }

        decimal total = 0;
        while (!s.IsEmpty)
        {
            var digits = 0;
            while (digits < s.Length && (char.IsAsciiDigit(s[digits]) || s[digits] == '.'))
            {
                digits++;
            }

            var number = s[..digits];
            if (number.IsEmpty || number is "." || number.Count('.') > 1 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                throw Invalid(text);
            }

            s = s[digits..];
            var unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.')
            {
                unitLength++;
            }

            long scale = s[..unitLength] switch
            {
                "ns" => 1,
                "us" or "\u00b5s" or "\u03bcs" => 1_000,
                "ms" => 1_000_000,
                "s" => NanosPerSecond,
                "m" => 60 * NanosPerSecond,
                "h" => 3600 * NanosPerSecond,
                "" => throw new KubeProtobufException($"time: missing unit in duration \"{text}\""),
                var unit => throw new KubeProtobufException($"time: unknown unit \"{unit}\" in duration \"{text}\""),
            };
            s = s[unitLength..];
            total += decimal.Truncate(value * scale);
            if (total > long.MaxValue)
            {
                throw Invalid(text);
            }
        }

        return negative ? -(long)total : (long)total;
    }

    private static KubeProtobufException Invalid(string text) => new($"time: invalid duration \"{text}\"");

    // fmtFrac + fmtInt of time.Duration.String: the integer part, then "." and the fraction without trailing zeros.
    private static string Fraction(ulong value, int precision)
    {
        var scale = 1UL;
        for (var i = 0; i < precision; i++)
        {
            scale *= 10;
        }

        var integer = (value / scale).ToString(CultureInfo.InvariantCulture);
        var fraction = precision == 0 ? "" : (value % scale).ToString(CultureInfo.InvariantCulture).PadLeft(precision, '0').TrimEnd('0');
        return fraction.Length == 0 ? integer : new StringBuilder(integer).Append('.').Append(fraction).ToString();
    }

    private static DateTime Utc(long seconds, long nanos)
    {
        try
        {
            return DateTime.UnixEpoch.AddSeconds(seconds + ((nanos - FloorMod(nanos, NanosPerSecond)) / NanosPerSecond));
        }
        catch (ArgumentOutOfRangeException)
        {
            // encoding/json reports time.Time.MarshalJSON's error for years it cannot write.
            throw new KubeProtobufException("Time.MarshalJSON: year outside of range [0,9999]");
        }
    }

    private static long FloorMod(long a, long b) => ((a % b) + b) % b;

    [GeneratedRegex(@"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
