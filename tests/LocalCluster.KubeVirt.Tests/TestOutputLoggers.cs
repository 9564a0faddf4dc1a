using Microsoft.Extensions.Logging;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>Warnings and errors of the code under test, written to the running test's output (shown when it fails).</summary>
internal sealed class TestOutputLoggers : ILoggerFactory, ILoggerProvider, ILogger
{
    private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        try
        {
            _output?.WriteLine($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" {exception.GetType().Name}: {exception.Message}")}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; nobody is reading any more.
        }
    }

    public void Dispose()
    {
    }
}
