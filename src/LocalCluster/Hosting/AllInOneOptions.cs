using Microsoft.Extensions.Logging;
using Vers.ApiShim.Hosting;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.Forks;

namespace Vers.LocalCluster.Hosting;

/// <summary>The organisations the demo data uses: the public source org and the dev key's org.</summary>
public sealed record SeedOrgs(string Source = "vers", string SourceNamespace = "vers", string Dev = "dev", string DevNamespace = "dev");

public sealed record AllInOneOptions
{
    /// <summary>The fork API (the shim).</summary>
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    /// <summary>The fork API's /metrics on a listener of its own; null serves it on <see cref="Listen"/>.</summary>
    public string? MetricsListen { get; init; }

    /// <summary>The embedded Kubernetes API.</summary>
    public string KubeListen { get; init; } = "http://127.0.0.1:6443";

    /// <summary>Where to write a kubeconfig for kubectl; null writes none.</summary>
    public string? Kubeconfig { get; init; } = ".vers/kubeconfig";

    /// <summary>API key of org dev; null generates one.</summary>
    public string? DevApiKey { get; init; }

    public bool Seed { get; init; } = true;

    /// <summary>
    /// Authorize the embedded Kubernetes API's requests by RBAC (<c>--authorization-mode=RBAC</c>): only the admin
    /// (system:masters, the kubeconfig's user) and what Roles and ClusterRoles bound to a user grant. Off: allow-all.
    /// </summary>
    public bool Rbac { get; init; } = true;

    /// <summary>Keep the embedded cluster's state in SQLite here (survives restarts); null keeps it in memory.</summary>
    public string? DataDir { get; init; }

    public string ReleaseNamespace { get; init; } = "vers-system";

    public ForkOptions Forks { get; init; } = new();

    public SimulatorOptions Simulator { get; init; } = new();

    public TimeSpan ForkWaitTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TTL of the RepositoryForks the fork API creates (and so of its idempotency keys and operations).</summary>
    public TimeSpan? ForkTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The fork API's per-org token bucket; null switches it off.</summary>
    public OrgRateLimit? ApiRateLimit { get; init; } = new();

    public int OperatorWorkers { get; init; } = 4;

    /// <summary>Run the operator in the host; tests that run their own operator instances turn it off.</summary>
    public bool RunOperator { get; init; } = true;

    /// <summary>
    /// Install KubeVirt's and CDI's CRDs and run the simulator in their place. Off on a cluster that runs
    /// real KubeVirt and CDI.
    /// </summary>
    public bool SimulateKubeVirt { get; init; } = true;

    /// <summary>Organisations and namespaces of the demo data (a shared cluster can give them unique names).</summary>
    public SeedOrgs Orgs { get; init; } = new();

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
