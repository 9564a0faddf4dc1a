using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.Operator.Commits;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Operator.Repositories;
using Vers.Kube;
using Vers.Kube.Controllers;
using Vers.Kube.Events;
using Vers.Kube.Informers;
using Vers.Kube.LeaderElection;

namespace Vers.Operator.Hosting;

/// <summary>
/// The operator's parts wired together: one informer per kind it reads (from its own factory, or from the one the
/// all-in-one host shares among its components), the fork controller and its watches on KubeVirt/CDI objects. Used by
/// the standalone operator and by the all-in-one host.
/// </summary>
public sealed class VersOperator : IAsyncDisposable
{
    private readonly SharedInformerFactory _informers;
    private readonly SharedInformerFactory? _ownInformers;
    private readonly List<Func<CancellationToken, Task>> _syncWaits = [];
    private readonly Controller<RepositoryFork> _forkController;
    private readonly Controller<Repository> _repositoryController;
    private readonly Controller<Commit> _commitController;
    private readonly ILogger _logger;
    private readonly LeaderElectionService? _leaderElection;
    private readonly EventRecorder _events;
    private CancellationTokenSource? _stop;
    private Task? _running;

    public VersOperator(IKubernetes client, ILoggerFactory loggers, VersOperatorOptions? options = null)
    {
        options ??= new VersOperatorOptions();
        _logger = loggers.CreateLogger<VersOperator>();
        _leaderElection = options.LeaderElection is { } election
            ? new LeaderElectionService(client, election, options.Identity, loggers)
            : null;
        _ownInformers = options.Informers is null ? new SharedInformerFactory(client, loggers) : null;
        _informers = options.Informers ?? _ownInformers!;
        var informerOptions = new InformerOptions { Time = options.Time };
        var forkObjects = options.CacheAllClonesAndDataVolumes ? informerOptions : informerOptions with { LabelSelector = VersGroup.ForkUidLabel };
        var forks = Informer<RepositoryFork>(RepositoryFork.Type, informerOptions);
        var caches = new ForkCaches(
            forks,
            Informer<Repository>(Repository.Type, informerOptions),
            Informer<Tag>(Tag.Type, options.CacheTagWriters ? informerOptions with { Transform = InformerTransforms.StripManagedFieldSets } : informerOptions),
            Informer<Commit>(Commit.Type, informerOptions),
            Informer<GenericObject>(KubeVirtTypes.VirtualMachineSnapshot, informerOptions),
            Informer<GenericObject>(KubeVirtTypes.VirtualMachineClone, forkObjects),
            Informer<GenericObject>(KubeVirtTypes.DataVolume, forkObjects),
            Informer<GenericObject>(KubeVirtTypes.VirtualMachine, informerOptions));
        RepositoryTags.AddIndex(caches.Tags);
        CommitTags.AddIndex(caches.Tags);
        var namespaces = Informer<V1Namespace>(ResourceType.Namespace, informerOptions with { LabelSelector = VersGroup.OrgLabel });
        Namespaces = namespaces;
        Caches = caches;

        var orgs = new OrgDirectory(namespaces);
        var index = new ForkIndex();
        forks.AddHandler(index.Update);
        var events = new EventRecorder(client, "vers.sh/operator", options.Identity, loggers, options.Time);
        _events = events;
        var reconciler = new ForkReconciler(
            client,
            caches,
            new SourceResolver(new CachedSourceReader(orgs, caches), new LiveSourceReader(client)),
            events,
            options.Identity,
            new ReadYourWrites<RepositoryFork>(forks, options.Time),
            options.Forks,
            loggers.CreateLogger<ForkReconciler>(),
            options.Time);
        _forkController = new Controller<RepositoryFork>("repositoryfork", forks, reconciler, loggers, new ControllerOptions { Workers = options.Workers, Time = options.Time, BackoffBase = options.RequeueBaseDelay, BackoffMax = options.RequeueMaxDelay })
            .Watches(caches.Clones, index.ForksOf)
            .Watches(caches.DataVolumes, index.ForksOf)
            .Watches(caches.VirtualMachines, index.ForksOf)
            .Watches(caches.Snapshots, index.ForksOf)
            .Watches(caches.Repositories, index.ForksOf);
        _repositoryController = new Controller<Repository>(
                "repository",
                caches.Repositories,
                new RepositoryReconciler(client, caches.Tags, uid => index.ForkWithUid(uid) is { } key ? forks.Get(key.Namespace, key.Name) : null, options.Time),
                loggers,
                new ControllerOptions { Workers = options.Workers, Time = options.Time, BackoffBase = options.RequeueBaseDelay, BackoffMax = options.RequeueMaxDelay })
            .Watches(caches.Tags, RepositoryReconciler.RepositoryOf);
        var tagMoves = new TagMoves();
        _commitController = new Controller<Commit>(
                "commit",
                caches.Commits,
                new CommitReconciler(client, caches.Tags, events),
                loggers,
                new ControllerOptions { Workers = 1, Time = options.Time, BackoffBase = options.RequeueBaseDelay, BackoffMax = options.RequeueMaxDelay })
            .Watches<Tag>(caches.Tags, tagMoves.CommitsOf);
    }

    public ForkCaches Caches { get; }

    public ResourceInformer<V1Namespace> Namespaces { get; }

    public bool IsReady { get; private set; }

    /// <summary>Whether this instance is reconciling (always, without leader election).</summary>
    public bool IsLeader => _leaderElection?.IsLeader ?? _running is not null;

    /// <summary>Completes when this instance reconciles: at once without leader election, else once it leads.</summary>
    public Task WaitForLeadershipAsync(CancellationToken ct) => _leaderElection?.WaitForLeadershipAsync(ct) ?? Task.CompletedTask;

    /// <summary>Cancelled if leadership, once held, is lost; the standalone host exits on it.</summary>
    public CancellationToken LeadershipLost => _leaderElection?.LeadershipLost ?? CancellationToken.None;

    /// <summary>
    /// Starts the informers (every replica keeps warm caches) and returns once they have synced; the
    /// controller's workers start then, or, with leader election, once this instance leads.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = _stop.Token;
        _informers.Start();
        if (_ownInformers is not null)
        {
            // As the rest of the operator: cancelling the start's token stops its informers too.
            token.Register(() => _ = _ownInformers.DisposeAsync());
        }

        _running = Task.Run(() => RunControllerAsync(token), token);
        await Task.WhenAll(_syncWaits.Select(wait => wait(ct)));
        IsReady = true;
        _logger.LogInformation("Operator caches synced");
    }

    private async Task RunControllerAsync(CancellationToken ct)
    {
        if (_leaderElection is null)
        {
            await RunControllersAsync(ct);
            return;
        }

        _leaderElection.Start();
        try
        {
            await _leaderElection.WaitForLeadershipAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        _logger.LogInformation("Leading; reconciling RepositoryForks");
        using var whileLeading = CancellationTokenSource.CreateLinkedTokenSource(ct, _leaderElection.LeadershipLost);
        await RunControllersAsync(whileLeading.Token);
        if (!ct.IsCancellationRequested)
        {
            _logger.LogWarning("Leadership lost; stopped reconciling");
        }
    }

    private async Task RunControllersAsync(CancellationToken ct)
    {
        // Every cache the reconcilers read, not only the ones their controllers watch: a fork already waiting at
        // start must not be judged on half-filled namespace, repository, tag or commit caches (spurious
        // Invalid / SourceNotFound).
        try
        {
            await Task.WhenAll(_syncWaits.Select(wait => wait(ct)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }

        await Task.WhenAll(_forkController.RunAsync(ct), _repositoryController.RunAsync(ct), _commitController.RunAsync(ct));
    }

    public async ValueTask DisposeAsync()
    {
        // Idempotent: a host may dispose an operator that was already stopped.
        var stop = Interlocked.Exchange(ref _stop, null);
        if (stop is null)
        {
            return;
        }

        await stop.CancelAsync();
        try
        {
            if (_running is not null)
            {
                await _running;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        await _events.DisposeAsync();

        // After the workers stopped: releasing earlier could let another replica start while ours still write.
        if (_leaderElection is not null)
        {
            await _leaderElection.DisposeAsync();
        }

        // A shared factory is stopped by its owner, once its other users are done too.
        if (_ownInformers is not null)
        {
            await _ownInformers.DisposeAsync();
        }

        stop.Dispose();
    }

    private ResourceInformer<T> Informer<T>(ResourceType type, InformerOptions options)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = _informers.Informer<T>(type, options);
        _syncWaits.Add(informer.WaitForSyncAsync);
        return informer;
    }
}
