using System.Collections.Concurrent;

namespace Vers.Reliability.Tests.Support;

/// <summary>Counts a client's requests and their answers by status code (as the client saw them).</summary>
public sealed class ResponseCounter : DelegatingHandler
{
    private readonly ConcurrentDictionary<int, long> _byStatus = new();
    private long _requests;
    private long _transportErrors;

    public long Requests => Interlocked.Read(ref _requests);

    public long TransportErrors => Interlocked.Read(ref _transportErrors);

    public long Count(int status) => _byStatus.TryGetValue(status, out var n) ? n : 0;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            _byStatus.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            return response;
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref _transportErrors);
            throw;
        }
    }
}
