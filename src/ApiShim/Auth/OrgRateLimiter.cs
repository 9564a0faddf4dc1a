using System.Threading.RateLimiting;
using Vers.ApiShim.Hosting;

namespace Vers.ApiShim.Auth;

/// <summary>One token bucket per key (System.Threading.RateLimiting); no limit when the options switch it off.</summary>
public abstract class KeyedRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    protected KeyedRateLimiter(OrgRateLimit? options)
    {
        _limiter = PartitionedRateLimiter.Create<string, string>(key => options is null
            ? RateLimitPartition.GetNoLimiter(key)
            : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.Burst,
                TokensPerPeriod = options.TokensPerPeriod,
                ReplenishmentPeriod = options.Period,
                AutoReplenishment = true,
                QueueLimit = 0,
            }));
    }

    public RateLimitLease Acquire(string key) => _limiter.AttemptAcquire(key);

    public void Dispose()
    {
        _limiter.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A token bucket per org, over its authenticated requests.</summary>
public sealed class OrgRateLimiter(OrgRateLimit? options) : KeyedRateLimiter(options);

/// <summary>A token bucket per client IP address, over requests without a valid API key.</summary>
public sealed class ClientIpRateLimiter(OrgRateLimit? options) : KeyedRateLimiter(options);
