using System.Threading.Channels;

namespace Vers.Testing;

/// <summary>A channel of observations a test awaits with a timeout (never a fixed sleep).</summary>
internal sealed class Observed<T>
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>();

    public void Add(T item) => _channel.Writer.TryWrite(item);

    /// <summary>Waits for the next observation that satisfies <paramref name="match"/>, skipping others.</summary>
    public async Task<T> NextAsync(Func<T, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var item = await _channel.Reader.ReadAsync(cts.Token);
                if (match(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no observation {what ?? "matching"} within {timeout ?? TimeSpan.FromSeconds(10)}");
        }
    }

    /// <summary>The next observation if there is one already, without waiting.</summary>
    public bool TryNext(out T item) => _channel.Reader.TryRead(out item!);

    /// <summary>Everything observed so far and not yet consumed.</summary>
    public List<T> Drain()
    {
        var items = new List<T>();
        while (_channel.Reader.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }
}
