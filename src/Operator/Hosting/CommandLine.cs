namespace Vers.Operator.Hosting;

/// <summary>
/// Splits `--name value`, `--name=value` and bare `--flag` from positional arguments. Only the benchmarks
/// (bench/Vers.Benchmarks, bench/Vers.ApiServer.Benchmarks) still parse with this; the programs use System.CommandLine
/// (<see cref="Flags"/>, <see cref="OperatorCommandLine"/>). It goes when the benchmarks move to System.CommandLine too.
/// </summary>
public static class CommandLine
{
    public static (string[] Positional, Dictionary<string, string> Flags) Parse(string[] args, IReadOnlySet<string>? booleanFlags = null)
    {
        var positional = new List<string>();
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(args[i]);
                continue;
            }

            var name = args[i][2..];
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                flags[name[..eq]] = name[(eq + 1)..];
            }
            else if (booleanFlags?.Contains(name) != true && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                flags[name] = args[++i];
            }
            else
            {
                flags[name] = "true";
            }
        }

        return (positional.ToArray(), flags);
    }
}
