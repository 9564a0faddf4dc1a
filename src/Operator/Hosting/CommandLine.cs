namespace Vers.Operator.Hosting;

/// <summary>Splits `--name value`, `--name=value` and bare `--flag` from positional arguments.</summary>
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

    /// <summary>Every value of a repeatable flag (<c>--name value</c> or <c>--name=value</c>), in order.</summary>
    public static IReadOnlyList<string> All(string[] args, string name)
    {
        var values = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == $"--{name}" && i + 1 < args.Length)
            {
                values.Add(args[++i]);
            }
            else if (args[i].StartsWith($"--{name}=", StringComparison.Ordinal))
            {
                values.Add(args[i][(name.Length + 3)..]);
            }
        }

        return values;
    }
}
