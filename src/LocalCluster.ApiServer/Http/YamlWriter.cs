using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>
/// JSON to YAML as the apiserver's YAML serializer writes it: sigs.k8s.io/yaml <c>JSONToYAML</c>, which decodes the
/// JSON into untyped Go values and marshals them with go-yaml v2. So keys are sorted (goyaml.v2/sorter.go
/// <c>keyList.Less</c>), a string is plain unless it would read back as something else (encode.go <c>stringv</c>:
/// then double-quoted, and literal when it has a line break), and empty maps and lists are <c>{}</c> and <c>[]</c>.
/// </summary>
internal static partial class YamlWriter
{
    public static string Write(JsonNode? node)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings(bestIndent: 2, bestWidth: 80, isCanonical: false, maxSimpleKeyLength: 1024));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, node);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    public static byte[] WriteUtf8(JsonNode? node) => Encoding.UTF8.GetBytes(Write(node));

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o when o.Count == 0:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Flow));
                emitter.Emit(new MappingEnd());
                break;
            case JsonObject o:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                var keys = o.Select(kv => kv.Key).ToList();
                keys.Sort(CompareKeys);
                foreach (var key in keys)
                {
                    EmitString(emitter, key);
                    Emit(emitter, o[key]);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray a when a.Count == 0:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Flow));
                emitter.Emit(new SequenceEnd());
                break;
            case JsonArray a:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Block));
                foreach (var item in a)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case null:
                emitter.Emit(new YamlDotNet.Core.Events.Scalar(null, null, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, v.GetValue<string>());
                break;
            case JsonValue v:
                emitter.Emit(new YamlDotNet.Core.Events.Scalar(null, null, Number(v), ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
        }
    }

    /// <summary>true/false as is; numbers as go-yaml writes the int, or the float64, that yaml.Unmarshal made of them.</summary>
    private static string Number(JsonValue v)
    {
        var raw = v.ToJsonString();
        if (v.GetValueKind() != JsonValueKind.Number || long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            return raw;
        }

        // Close to strconv.FormatFloat(f, 'g', -1, 64): shortest round-trip digits, a lower-case exponent (1.5e-07).
        var d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
    }

    private static void EmitString(IEmitter emitter, string s)
    {
        var style = s.Contains('\n', StringComparison.Ordinal) ? ScalarStyle.Literal
            : ResolvesToString(s) ? ScalarStyle.Plain
            : ScalarStyle.DoubleQuoted;

        // The emitter still quotes (single quotes) a plain string that YAML's syntax cannot carry bare, as libyaml does.
        emitter.Emit(new YamlDotNet.Core.Events.Scalar(null, null, s, style, isPlainImplicit: true, isQuotedImplicit: true));
    }

    /// <summary>goyaml.v2/resolve.go <c>resolve("", s)</c> is the string tag, and it is no base-60 float.</summary>
    private static bool ResolvesToString(string s)
    {
        if (s.Length == 0 || Special.Contains(s))
        {
            return false;
        }

        var c = s[0];
        if (c == '.')
        {
            return !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || s == ".";
        }

        if (c is not ('+' or '-' or (>= '0' and <= '9')))
        {
            return true;
        }

        if (Timestamp().IsMatch(s) || Base60Float().IsMatch(s))
        {
            return false;
        }

        var plain = s.Replace("_", "", StringComparison.Ordinal);
        return !(GoInt().IsMatch(plain) || YamlFloat().IsMatch(plain) || Binary().IsMatch(plain));
    }

    private static readonly HashSet<string> Special = new(StringComparer.Ordinal)
    {
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
        "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
    };

    // strconv.ParseInt/ParseUint with base 0: decimal, 0x, 0o, 0b or leading-0 octal, with a sign.
    [GeneratedRegex("^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$")]
    private static partial Regex GoInt();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlFloat();

    [GeneratedRegex("^-?0b[01]+$")]
    private static partial Regex Binary();

    [GeneratedRegex(@"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")]
    private static partial Regex Base60Float();

    // parseTimestamp: four digits and a dash, then one of the allowed layouts (date, date and time, RFC 3339).
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt ])[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})?)?$")]
    private static partial Regex Timestamp();

    /// <summary>goyaml.v2/sorter.go <c>keyList.Less</c> for string keys: letters by code point, digit runs by value, other runes before letters.</summary>
    public static int CompareKeys(string a, string b)
    {
        if (a == b)
        {
            return 0;
        }

        return Less(a, b) ? -1 : Less(b, a) ? 1 : string.CompareOrdinal(a, b);
    }

    private static bool Less(string a, string b)
    {
        for (var i = 0; i < a.Length && i < b.Length; i++)
        {
            if (a[i] == b[i])
            {
                continue;
            }

            var al = char.IsLetter(a[i]);
            var bl = char.IsLetter(b[i]);
            if (al && bl)
            {
                return a[i] < b[i];
            }

            if (al || bl)
            {
                return bl;
            }

            long an = 0, bn = 0;
            if (a[i] == '0' || b[i] == '0')
            {
                for (var j = i - 1; j >= 0 && char.IsDigit(a[j]); j--)
                {
                    if (a[j] != '0')
                    {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }

            int ai, bi;
            for (ai = i; ai < a.Length && char.IsDigit(a[ai]); ai++)
            {
                an = (an * 10) + (a[ai] - '0');
            }

            for (bi = i; bi < b.Length && char.IsDigit(b[bi]); bi++)
            {
                bn = (bn * 10) + (b[bi] - '0');
            }

            if (an != bn)
            {
                return an < bn;
            }

            if (ai != bi)
            {
                return ai < bi;
            }

            return a[i] < b[i];
        }

        return a.Length < b.Length;
    }
}
