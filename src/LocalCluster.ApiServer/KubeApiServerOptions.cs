using Microsoft.Extensions.Logging;

namespace Vers.LocalCluster.ApiServer;

public sealed record KubeApiServerOptions
{
    /// <summary>Listen URL; <c>http://127.0.0.1:0</c> picks a free port.</summary>
    public string Url { get; init; } = "http://127.0.0.1:6443";

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary><c>/readyz</c> answers 200 "ok" only when this returns true (null = always ready).</summary>
    public Func<bool>? ReadinessCheck { get; init; }

    /// <summary>
    /// Initial policy for request authentication and TokenReview/SubjectAccessReview (null: allow-all, no tokens, so
    /// every request without a bearer token is the admin and any bearer token is 401); see <see cref="KubeApiServer.Access"/>.
    /// </summary>
    public AccessPolicy? Access { get; init; }

    /// <summary>Keep the whole store in SQLite in this directory (survives restarts); null keeps it in memory.</summary>
    public string? DataDir { get; init; }

    /// <summary>Seed of the random generator behind <see cref="KubeApiServer.Faults"/> error rates.</summary>
    public int FaultSeed { get; init; } = 1;

    /// <summary>How long an Event lives after its last write (kube-apiserver's <c>--event-ttl</c>, one hour by default).</summary>
    public TimeSpan EventTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many storage events watches can resume from before a 410 Expired (etcd compaction window).</summary>
    internal int WatchHistoryLimit { get; init; } = 10_000;

    /// <summary>Period of BOOKMARK events on watches that allow them (the real server: about a minute).</summary>
    internal TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(60);
}
