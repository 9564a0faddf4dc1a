using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Vers.Operator.Forks;

namespace Vers.Testing;

/// <summary>
/// Which operator instance started which fork, from the operator's <see cref="ForkLogEvents.Started"/> log records
/// (written right after the intent status, with the instance's identity). A logger provider: add it to the logger
/// factory the operator replicas log to. Shared by tests/Operator.Tests and tests/Reliability.Tests.
/// </summary>
public sealed class ForkStartLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Namespace, string Name, string Instance)> _starts = new();

    /// <summary>The instances that logged starting fork <paramref name="ns"/>/<paramref name="name"/>, in order.</summary>
    public IReadOnlyList<string> StartedBy(string ns, string name) =>
        [.. _starts.Where(s => s.Namespace == ns && s.Name == name).Select(s => s.Instance)];

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void Dispose()
    {
    }

    private sealed class Recorder(ForkStartLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // By name too: ids are only unique per category, and other components log event id 1 as well.
            if (eventId != ForkLogEvents.Started || eventId.Name != ForkLogEvents.Started.Name || state is not IEnumerable<KeyValuePair<string, object?>> values)
            {
                return;
            }

            var fields = values.ToDictionary(v => v.Key, v => v.Value?.ToString() ?? "");
            log._starts.Enqueue((fields["Namespace"], fields["Name"], fields["Instance"]));
        }
    }
}
