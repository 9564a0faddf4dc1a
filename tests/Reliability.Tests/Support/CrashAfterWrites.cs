using System.Collections.Concurrent;

namespace Vers.Reliability.Tests.Support;

/// <summary>
/// Sits in an operator's HTTP pipeline and plays a process crash right after its k-th write (POST, PUT, PATCH or
/// DELETE) to a watched namespace: the write reaches the API server and is applied, its response is lost, and from
/// then on every request of the process fails before leaving it — so no further write ever happens. With no limit it
/// only records the writes, in the order they were sent.
/// </summary>
public sealed class CrashAfterWrites(int? limit, string watchedNamespace) : DelegatingHandler
{
    private readonly ConcurrentQueue<string> _writes = new();
    private readonly TaskCompletionSource _crashed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sent;

    /// <summary>The writes to the watched namespace that reached the server: "VERB path → status".</summary>
    public IReadOnlyList<string> Writes => [.. _writes];

    public bool HasCrashed => _crashed.Task.IsCompleted;

    /// <summary>Completes when the k-th write has been applied and the process "died".</summary>
    public Task Crashed => _crashed.Task;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (HasCrashed)
        {
            throw new HttpRequestException("the operator process is dead (injected crash)");
        }

        var isWrite = request.Method != HttpMethod.Get && request.Method != HttpMethod.Head
            && request.RequestUri!.AbsolutePath.Contains($"/namespaces/{watchedNamespace}/", StringComparison.Ordinal);
        if (!isWrite)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var index = Interlocked.Increment(ref _sent);
        if (index > limit)
        {
            throw new HttpRequestException("the operator process is dead (injected crash)");
        }

        var response = await base.SendAsync(request, cancellationToken);
        _writes.Enqueue($"{request.Method} {Describe(request.RequestUri!)} → {(int)response.StatusCode}");
        if (index == limit)
        {
            // The write happened; the process dies before it learns so.
            _crashed.TrySetResult();
            response.Dispose();
            throw new HttpRequestException("the operator process is dead (injected crash)");
        }

        return response;
    }

    /// <summary>"repositories/node", "events", "repositoryforks/x/status" — the resource path within the namespace.</summary>
    private string Describe(Uri uri)
    {
        var path = uri.AbsolutePath;
        var at = path.IndexOf($"/namespaces/{watchedNamespace}/", StringComparison.Ordinal);
        var rest = path[(at + $"/namespaces/{watchedNamespace}/".Length)..];
        return rest.StartsWith("events", StringComparison.Ordinal)
            ? "events"
            : System.Text.RegularExpressions.Regex.Replace(rest, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>");
    }
}
