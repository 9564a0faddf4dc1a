using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Vers.Kube;

namespace Vers.Operator.Hosting;

/// <summary>
/// The typed flags the programs share (the operator, the API shim, the all-in-one host), as System.CommandLine options:
/// each with its help text and default, and a check whose error names the flag (<c>--name: 'value' is not ...</c>),
/// so a program never starts with a bad value.
/// </summary>
public static class Flags
{
    /// <summary>Parses without response files: an argument starting with @ is a value like any other.</summary>
    public static ParserConfiguration Parser => new() { ResponseFileTokenReplacer = null };

    /// <summary>Exit code for a command line a program cannot start with (as for a usage error in most Unix tools).</summary>
    public const int BadArguments = 2;

    /// <summary>
    /// Runs what <paramref name="result"/> asks for (--help, --version, a subcommand or the program itself), or, when it
    /// has errors, prints each on stderr with a pointer to --help and returns <see cref="BadArguments"/>. Programs handle
    /// Ctrl+C and SIGTERM themselves, so System.CommandLine's own termination handling is off.
    /// </summary>
    public static async Task<int> InvokeAsync(ParseResult result)
    {
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message);
            }

            await Console.Error.WriteLineAsync("Run with --help for every option and its meaning.");
            return BadArguments;
        }

        return await result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>An http(s) URL as ASP.NET Core's listeners take it (the host may be *, + or a name); with <paramref name="allowOff"/>, also <c>off</c>.</summary>
    public static Option<string> Url(string name, string fallback, string description, bool allowOff = false)
    {
        var option = new Option<string>(name) { HelpName = allowOff ? "URL|off" : "URL", Description = description, DefaultValueFactory = _ => fallback };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (result.Implicit || value is null || (allowOff && value == "off"))
            {
                return;
            }

            var scheme = value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "http://"
                : value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "https://" : null;
            if (scheme is null || value.Length == scheme.Length)
            {
                result.AddError($"{name}: '{value}' is not an http:// or https:// URL (e.g. http://127.0.0.1:8080){(allowOff ? " or off" : "")}");
            }
        });
        return option;
    }

    /// <summary>
    /// A duration of zero or more: Go-style (<c>90s</c>, <c>15m</c>, <c>1h30m</c>, <c>250ms</c>) or a .NET TimeSpan
    /// (<c>00:15:00</c>); with <paramref name="wholeSeconds"/>, also a bare number of seconds (<c>120</c>).
    /// <paramref name="examples"/> are shown in the error.
    /// </summary>
    public static Option<TimeSpan> Duration(string name, TimeSpan? fallback, string description, string examples, bool wholeSeconds = false)
    {
        var option = new Option<TimeSpan>(name)
        {
            HelpName = "DURATION",
            Description = description,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (wholeSeconds && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    return TimeSpan.FromSeconds(seconds);
                }

                if (ParseDuration(text) is { } duration && duration >= TimeSpan.Zero)
                {
                    return duration;
                }

                result.AddError($"{name}: '{text}' is not {(wholeSeconds ? "seconds or " : "")}a duration (e.g. {examples})");
                return TimeSpan.Zero;
            },
        };
        if (fallback is { } value)
        {
            option.DefaultValueFactory = _ => value;
        }

        return option;
    }

    /// <summary>A whole number of at least <paramref name="minimum"/> (0 or 1).</summary>
    public static Option<int> Number(string name, int fallback, string description, int minimum)
    {
        return new Option<int>(name)
        {
            HelpName = "N",
            Description = description,
            DefaultValueFactory = _ => fallback,
            CustomParser = Parse,
        };

        int Parse(ArgumentResult result)
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum)
            {
                return value;
            }

            result.AddError($"{name}: '{text}' is not a {(minimum > 0 ? "positive " : "")}whole number");
            return fallback;
        }
    }

    /// <summary>A Go-style duration ("90s", "15m", "1h30m", "250ms") or a .NET TimeSpan ("00:15:00"): <see cref="Durations.Parse"/>.</summary>
    public static TimeSpan? ParseDuration(string text) => Durations.Parse(text);
}
