namespace Vers.Reliability.Tests.Support;

/// <summary>
/// The figures the issue asks for (crash points covered, forks under faults, duplicates and orphans found,
/// takeover time): written as an xunit diagnostic message (xunit.runner.json turns them on, so
/// they show in a normal-verbosity <c>dotnet test</c> log) and to stdout, prefixed "[reliability]" so they can be
/// grepped, and appended to $VERS_RELIABILITY_FIGURES when that names a file.
/// </summary>
public static class Figures
{
    private static readonly Lock Gate = new();

    public static void Report(string line)
    {
        var text = $"[reliability] {line}";
        TestContext.Current.SendDiagnosticMessage(text);
        Console.WriteLine(text);
        if (Environment.GetEnvironmentVariable("VERS_RELIABILITY_FIGURES") is { Length: > 0 } path)
        {
            lock (Gate)
            {
                File.AppendAllText(path, text + Environment.NewLine);
            }
        }
    }

    /// <summary>A positive integer from the environment, or <paramref name="fallback"/>.</summary>
    public static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
}
