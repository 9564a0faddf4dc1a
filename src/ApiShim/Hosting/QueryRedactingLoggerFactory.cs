using System.Collections;
using Microsoft.Extensions.Logging;

namespace Vers.ApiShim.Hosting;

/// <summary>
/// The fork API's logger factory: ASP.NET Core's request lines ("Request starting/finished GET /path?query") are
/// kept but their query string is replaced by <c>?(redacted)</c>. No endpoint of this API reads a query string, and a
/// client that puts its API key there (<c>?api_key=…</c>) must not find it in the server's logs.
/// </summary>
internal sealed class QueryRedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private const string HostingCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName == HostingCategory ? new Redacting(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The factory belongs to whoever started the server.
    }

    private sealed class Redacting(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is not IReadOnlyList<KeyValuePair<string, object?>> values
                || values.FirstOrDefault(v => v.Key == "QueryString").Value?.ToString() is not { Length: > 1 } query)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            const string redacted = "?(redacted)";
            var message = formatter(state, exception).Replace(query, redacted, StringComparison.Ordinal);
            var safe = new RedactedState(
                [.. values.Select(v => v.Key == "QueryString" ? new KeyValuePair<string, object?>(v.Key, redacted) : v)],
                message);
            inner.Log(logLevel, eventId, safe, exception, static (s, _) => s.ToString());
        }
    }

    private sealed class RedactedState(IReadOnlyList<KeyValuePair<string, object?>> values, string message) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public KeyValuePair<string, object?> this[int index] => values[index];

        public int Count => values.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }
}
