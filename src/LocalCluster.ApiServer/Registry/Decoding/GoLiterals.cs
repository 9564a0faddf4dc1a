using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry.Decoding;

/// <summary>The errors of the Go decoders behind typed fields that are not plain JSON types, with Go's messages.</summary>
internal static partial class GoLiterals
{
    private const string Rfc3339 = "2006-01-02T15:04:05Z07:00";
    private const string Rfc3339Micro = "2006-01-02T15:04:05.000000Z07:00";

    private static readonly (string Separator, string Element)[] Separators = [("-", "01"), ("-", "02"), ("T", "15"), (":", "04"), (":", "05")];

    /// <summary>
    /// encoding/base64's StdEncoding.Decode (as encoding/json decodes <c>[]byte</c>): <c>illegal base64 data at input
    /// byte N</c>, N the offending character, or the start of an incomplete final quantum. CR and LF are skipped.
    /// </summary>
    public static string? Base64Error(string s)
    {
        int quantumStart = 0, inQuantum = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is '\r' or '\n')
            {
                continue;
            }

            if (c == '=')
            {
                // Padding ends the data: "xx==" or "xxx=", then nothing but newlines.
                if (inQuantum < 2)
                {
                    return Illegal(i);
                }

                var next = NextChar(s, i + 1);
                if (inQuantum == 2)
                {
                    if (next == s.Length)
                    {
                        return Illegal(s.Length);
                    }

                    if (s[next] != '=')
                    {
                        return Illegal(i);
                    }

                    next = NextChar(s, next + 1);
                }

                return next < s.Length ? Illegal(next) : null;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/'))
            {
                return Illegal(i);
            }

            if (inQuantum == 0)
            {
                quantumStart = i;
            }

            inQuantum = (inQuantum + 1) % 4;
        }

        return inQuantum == 0 ? null : Illegal(quantumStart);

        static string Illegal(int at) => $"illegal base64 data at input byte {at}";

        static int NextChar(string s, int from)
        {
            while (from < s.Length && s[from] is '\r' or '\n')
            {
                from++;
            }

            return from;
        }
    }

    /// <summary>
    /// metav1.Time (time.RFC3339) and metav1.MicroTime (RFC3339Micro: exactly six fractional digits) parsing, with
    /// time.ParseError's text: <c>parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"</c>.
    /// </summary>
    public static string? TimeError(string value, bool micro)
    {
        var layout = micro ? Rfc3339Micro : Rfc3339;
        var rest = value;
        foreach (var (element, test) in Elements(micro))
        {
            var taken = test(rest);
            if (taken < 0)
            {
                return $"parsing time {Q(value)} as {Q(layout)}: cannot parse {Q(rest)} as {Q(element)}";
            }

            rest = rest[taken..];
        }

        if (rest.Length > 0)
        {
            return $"parsing time {Q(value)}: extra text: {Q(rest)}";
        }

        var m = TimeParts().Match(value);
        foreach (var (group, name, max) in (ReadOnlySpan<(string, string, int)>)[("month", "month", 12), ("hour", "hour", 23), ("minute", "minute", 59), ("second", "second", 59)])
        {
            var n = int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
            if (n > max || (name == "month" && n == 0))
            {
                return $"parsing time {Q(value)}: {name} out of range";
            }
        }

        var year = int.Parse(m.Groups["year"].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(m.Groups["day"].Value, CultureInfo.InvariantCulture);
        var month = int.Parse(m.Groups["month"].Value, CultureInfo.InvariantCulture);
        return day < 1 || day > DateTime.DaysInMonth(year < 1 ? 1 : year, month) ? $"parsing time {Q(value)}: day out of range" : null;
    }

    /// <summary>The layout's elements, each with how many characters of the value it takes (-1: it cannot parse them).</summary>
    private static IEnumerable<(string Element, Func<string, int> Take)> Elements(bool micro)
    {
        yield return ("2006", v => Digits(v, 4));
        foreach (var (separator, element) in Separators)
        {
            var sep = separator;
            yield return (sep, v => v.StartsWith(sep, StringComparison.Ordinal) ? sep.Length : -1);
            yield return (element, v => Digits(v, 2) is 2 ? 2 + (micro || element != "05" ? 0 : Fraction(v[2..])) : -1);
        }

        if (micro)
        {
            yield return (".000000", v => v.Length >= 7 && v[0] == '.' && Digits(v[1..], 6) == 6 ? 7 : -1);
        }

        yield return ("Z07:00", v => v.StartsWith('Z') ? 1
            : v.Length >= 6 && v[0] is '+' or '-' && Digits(v[1..], 2) == 2 && v[3] == ':' && Digits(v[4..], 2) == 2 ? 6 : -1);
    }

    private static int Digits(string v, int n) => v.Length >= n && v.AsSpan(0, n).ContainsAnyExcept("0123456789") == false ? n : -1;

    /// <summary>Seconds may carry a fraction the layout does not mention (time.Parse accepts it).</summary>
    private static int Fraction(string v)
    {
        if (v.Length < 2 || v[0] is not ('.' or ',') || !char.IsAsciiDigit(v[1]))
        {
            return 0;
        }

        var n = 1;
        while (n < v.Length && char.IsAsciiDigit(v[n]))
        {
            n++;
        }

        return n;
    }

    [GeneratedRegex(@"^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})")]
    private static partial Regex TimeParts();

    /// <summary>resource.Quantity's UnmarshalJSON: a string or a number in the quantity syntax (ErrFormatWrong otherwise).</summary>
    public static string? QuantityError(JsonNode value) => Resources.Quantities.Parse(value) is null ? Resources.Quantities.FormatError : null;

    /// <summary>A string as Go's strconv.Quote prints it (close to JSON's escaping for the values seen here).</summary>
    private static string Q(string s) => StructuralSchema.Quote(s);

    /// <summary>Whether text is well-formed JSON of an object (the dockercfg checks); else encoding/json's error.</summary>
    public static string? JsonObjectError(byte[] data)
    {
        try
        {
            using var doc = JsonDocument.Parse(data);
            return doc.RootElement.ValueKind is JsonValueKind.Object or JsonValueKind.Null
                ? null
                : $"json: cannot unmarshal {Kind(doc.RootElement.ValueKind)} into Go value of type map[string]interface {{}}";
        }
        catch (JsonException)
        {
            var text = System.Text.Encoding.UTF8.GetString(data).TrimStart(' ', '\t', '\r', '\n');
            return text.Length == 0 || "{[\"-0123456789tfn".Contains(text[0], StringComparison.Ordinal)
                ? "unexpected end of JSON input"
                : $"invalid character '{text[0]}' looking for beginning of value";
        }
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "null",
    };
}
