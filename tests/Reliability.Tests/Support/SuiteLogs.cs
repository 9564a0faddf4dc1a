using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

[assembly: AssemblyFixture(typeof(SuiteLogs))]

namespace Vers.Reliability.Tests.Support;

/// <summary>
/// Every log line of every host, operator and fork API this suite starts (all levels, with structured values and
/// exception text), and every API key the suite issued. At the end of the run the fixture fails the run if any
/// line carries key material; <see cref="FindKeyMaterial"/> lets a test check it at any point. VERS_RELIABILITY_LOGS=path
/// writes every captured line to that file at the end (for debugging a failure).
/// </summary>
public sealed class SuiteLogs : IAsyncLifetime
{
    private static readonly LogCapture Captured = new();
    private static readonly ConcurrentDictionary<string, byte> AllKeys = new();

    /// <summary>Which operator instance started which fork, from the operator's ForkStarted log records.</summary>
    /// <remarks>Declared before <see cref="Loggers"/>: static initializers run in textual order.</remarks>
    public static ForkStartLog ForkStarts { get; } = new();

    /// <summary>The one logger factory every component started by this suite logs to.</summary>
    public static ILoggerFactory Loggers { get; } = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Captured).AddProvider(ForkStarts));

    public static IReadOnlyCollection<string> Lines => Captured.Lines;

    public static IReadOnlyCollection<string> Keys => (IReadOnlyCollection<string>)AllKeys.Keys;

    /// <summary>Remembers a key (or any secret) that must never appear in a log line.</summary>
    public static void RegisterKey(string key) => AllKeys.TryAdd(key, 0);

    /// <summary>What counts as material of a key: the key, its secret part (after the 36-character id) and its SHA-256 (hex, base64).</summary>
    public static IEnumerable<string> MaterialOf(string key)
    {
        yield return key;
        if (key.Length == 100)
        {
            yield return key[36..];
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        yield return Convert.ToHexStringLower(hash);
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(Convert.ToHexStringLower(hash)));
    }

    /// <summary>Log lines that carry key material of any registered key, with the kind of material found.</summary>
    public static List<string> FindKeyMaterial()
    {
        var material = AllKeys.Keys.SelectMany(MaterialOf).Distinct().ToList();
        return Captured.Lines.Where(line => material.Any(m => line.Contains(m, StringComparison.Ordinal))).ToList();
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("VERS_RELIABILITY_LOGS") is { Length: > 0 } path)
        {
            File.WriteAllLines(path, Captured.Lines);
        }

        var leaks = FindKeyMaterial();
        Figures.Report($"key material check over the whole suite: {Captured.Lines.Count} log lines, {AllKeys.Count} keys, {leaks.Count} lines with key material");
        if (leaks.Count > 0)
        {
            throw new InvalidOperationException($"{leaks.Count} log line(s) carry key material, e.g.: {leaks[0]}");
        }

        return ValueTask.CompletedTask;
    }
}
