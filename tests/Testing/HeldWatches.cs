namespace Vers.Testing;

/// <summary>
/// Holds back the watch requests of the named resources (plurals) until <see cref="Release"/>: an informer on a client
/// through this handler lists (and syncs) normally, then sees nothing newer than its list — a watch that lags as far
/// as a test wants. Lists, gets and writes pass untouched. Released, the watches resume from the list's
/// resourceVersion and deliver everything held back, in order. Shared by tests/Operator.Tests and tests/ApiShim.Tests.
/// </summary>
public sealed class HeldWatches(params string[] plurals) : DelegatingHandler
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _released.TrySetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Held(request))
        {
            await _released.Task.WaitAsync(cancellationToken);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private bool Held(HttpRequestMessage request)
    {
        if (request.Method != HttpMethod.Get || request.RequestUri is not { } uri || !uri.Query.Contains("watch=true", StringComparison.Ordinal))
        {
            return false;
        }

        var resource = uri.AbsolutePath.TrimEnd('/').Split('/')[^1];
        return plurals.Contains(resource, StringComparer.Ordinal);
    }
}
