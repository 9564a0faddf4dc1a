using System.Threading.RateLimiting;
using Vers.ApiShim.Hosting;

namespace Vers.ApiShim.Auth;

/// <summary>One token bucket per org (System.Threading.RateLimiting); no limit when the options switch it off.</summary>
public sealed class OrgRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public OrgRateLimiter(OrgRateLimit? options)
    {
        _limiter = PartitionedRateLimiter.Create<string, string>(org => options is null
            ? RateLimitPartition.GetNoLimiter(org)
            : RateLimitPartition.GetTokenBucketLimiter(org, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.Burst,
                TokensPerPeriod = options.TokensPerPeriod,
                ReplenishmentPeriod = options.Period,
                AutoReplenishment = true,
                QueueLimit = 0,
            }));
    }

    public RateLimitLease Acquire(string org) => _limiter.AttemptAcquire(org);

    public void Dispose() => _limiter.Dispose();
}
