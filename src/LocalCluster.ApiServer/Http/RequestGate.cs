using Microsoft.AspNetCore.Http;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>The test seams every resource request passes: the request counters, then injected latency and failures.</summary>
internal sealed class RequestGate(FaultInjector faults, RequestCounters requests, TimeProvider time)
{
    /// <summary>Records the request in the counters, then applies injected latency and failures before any store access.</summary>
    public async Task EnterAsync(HttpContext ctx, RequestScope t, string verb, CancellationToken ct)
    {
        var resource = t.Subresource is null ? t.Type.Plural : $"{t.Type.Plural}/{t.Subresource}";
        var client = ctx.Request.Headers.UserAgent.ToString();
        requests.Record(new RequestKey(verb, resource, client));
        var (latency, failure) = faults.Decide(new RequestInfo(verb, resource, client,
            h => ctx.Request.Headers.TryGetValue(h, out var v) ? v.ToString() : null));
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, time, ct);
        }

        if (failure is not null)
        {
            throw failure.Kind switch
            {
                FaultKind.TooManyRequests => ApiException.TooManyRequests(failure.RetryAfterSeconds),
                FaultKind.Conflict => ApiException.Conflict(t.Type.Name, t.Name ?? ""),
                FaultKind.ServerTimeout => ApiException.ServerTimeout(t.Type.Name, verb, failure.RetryAfterSeconds),
                _ => ApiException.InternalError("injected fault"),
            };
        }
    }
}
