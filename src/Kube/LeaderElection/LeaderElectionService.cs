using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.Kube.Client;

namespace Vers.Kube.LeaderElection;

/// <summary>
/// One campaign for a Lease through <c>k8s.LeaderElection</c>. Like controller-runtime, leadership is
/// held until lost or until shutdown, and not regained in the same run: a replica that lost it stops
/// reconciling (a process exits and is restarted). On graceful shutdown the lease is released
/// client-go style (empty holder, timestamps kept) so the next replica takes over at once instead of
/// waiting out the lease.
/// </summary>
public sealed class LeaderElectionService : IAsyncDisposable
{
    private readonly KubeRestClient _client;
    private readonly LeaderElectionOptions _options;
    private readonly string _identity;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly LeaderElector _elector;
    private Task? _campaign;

    public LeaderElectionService(IKubernetes client, LeaderElectionOptions options, string identity, ILoggerFactory loggers)
    {
        _client = new KubeRestClient(client);
        _options = options;
        _identity = identity;
        _logger = loggers.CreateLogger<LeaderElectionService>();
        _elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(client, options.Namespace, options.LeaseName, identity))
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        });
        // The elector raises these synchronously from its loop: only signal here.
        _elector.OnStartedLeading += () => _leading.TrySetResult();
        _elector.OnStoppedLeading += () => _lost.Cancel();
        _elector.OnNewLeader += leader => _logger.LogInformation("Lease {Namespace}/{Lease} is held by {Leader}", options.Namespace, options.LeaseName, leader);
        _elector.OnError += e => _logger.LogWarning(e, "Leader election error on {Namespace}/{Lease}", options.Namespace, options.LeaseName);
    }

    public bool IsLeader => _leading.Task.IsCompletedSuccessfully && !_lost.IsCancellationRequested;

    /// <summary>Cancelled when leadership, once held, is lost.</summary>
    public CancellationToken LeadershipLost => _lost.Token;

    public void Start() => _campaign ??= Task.Run(async () =>
    {
        try
        {
            await _elector.RunUntilLeadershipLostAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
        finally
        {
            _lost.Cancel();
        }
    });

    public Task WaitForLeadershipAsync(CancellationToken ct) => _leading.Task.WaitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        var wasLeader = IsLeader;
        await _stop.CancelAsync();
        if (_campaign is not null)
        {
            await _campaign;
        }

        if (wasLeader)
        {
            await ReleaseAsync();
        }

        _elector.Dispose();
        _lost.Dispose();
        _stop.Dispose();
    }

    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var lease = await _client.GetAsync<V1Lease>(ResourceType.Lease, _options.Namespace, _options.LeaseName, timeout.Token);
            if (lease.Spec?.HolderIdentity != _identity)
            {
                return;
            }

            // Empty holder with the timestamps kept: LeaderElector treats a null time as "no record" and would never acquire.
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = DateTime.UtcNow;
            await _client.ReplaceAsync(ResourceType.Lease, _options.Namespace, _options.LeaseName, lease, timeout.Token);
            _logger.LogInformation("Released lease {Namespace}/{Lease}", _options.Namespace, _options.LeaseName);
        }
        catch (Exception e) when (e is KubeApiException or OperationCanceledException or HttpRequestException)
        {
            _logger.LogWarning(e, "Could not release lease {Namespace}/{Lease}; the next leader waits for it to expire", _options.Namespace, _options.LeaseName);
        }
    }
}
