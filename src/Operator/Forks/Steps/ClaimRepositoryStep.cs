using k8s.Models;
using Vers.Api;
using Vers.Operator.Repositories;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// The target Repository, created first and annotated with the fork's uid: the name is the fork's from then on, and a
/// retry after a crash finds its own claim. Another Repository of that name fails the fork with TargetExists. Its
/// status is the Repository controller's alone; the fork writes only its spec, at creation.
/// </summary>
public sealed class ClaimRepositoryStep(ForkServices services) : IForkStep
{
    public string Name => "ClaimRepository";

    /// <summary>
    /// Checks the claim made before the fork recorded its intent: the Repository must still be there, ours. One deleted
    /// meanwhile (by a user, GitOps pruning) fails the fork rather than coming back: the fork never recreates it.
    /// </summary>
    public async Task<StepResult> RunAsync(ForkContext fork, CancellationToken ct)
    {
        var name = VersNames.ToObjectName(fork.Status.RepoName!);
        // Absent after our own create (which Repositories remembers until the informer has it) means deleted; one
        // read makes sure before failing.
        var repository = services.Repositories.Get(fork.Namespace, name)
            ?? await services.Client.TryGetAsync<Repository>(Repository.Type, fork.Namespace, name, ct);
        if (repository is null || (repository.Metadata.DeletionTimestamp is not null && ClaimedBy(repository) == fork.Uid))
        {
            throw new ForkFailedException(ForkReasons.Deleted, $"repository {fork.Status.RepoName} was deleted while the fork was making it");
        }

        if (ClaimedBy(repository) != fork.Uid)
        {
            throw new ForkFailedException(ForkReasons.TargetExists, $"repository {fork.Status.RepoName} is no longer claimed by this fork");
        }

        return StepResult.Done;
    }

    /// <summary>The claimed Repository, created when missing; null when another object owns the name.</summary>
    public async Task<Repository?> ClaimAsync(ForkContext fork, CancellationToken ct)
    {
        var status = fork.Status;
        var ns = fork.Namespace;
        var name = VersNames.ToObjectName(status.RepoName!);
        // Not cached: create it; only AlreadyExists (ours from an earlier pass, or someone else's) costs a read.
        var existing = services.Repositories.Get(ns, name);
        if (existing is not null && ClaimedBy(existing) != fork.Uid)
        {
            // Someone else's in the cache: it may be gone already (a failed fork's rollback a moment ago). One read on
            // the way to failing, never on the way to succeeding.
            existing = await services.Client.TryGetAsync<Repository>(Repository.Type, ns, name, ct);
        }

        if (existing is null)
        {
            existing = await services.CreateOrGetAsync(Repository.Type, Desired(fork, name), ct);
            services.Repositories.Wrote(existing);
        }

        return ClaimedBy(existing) == fork.Uid ? existing : null;
    }

    /// <summary>Whether the fork holds its claim in the cache (an earlier pass created it), without asking the server.</summary>
    public bool HoldsClaim(ForkContext fork, string repoName) =>
        VersNames.IsValid(repoName)
        && services.Repositories.Get(fork.Namespace, VersNames.ToObjectName(repoName)) is { } repository
        && ClaimedBy(repository) == fork.Uid;

    public async Task RollbackAsync(ForkContext fork, CancellationToken ct)
    {
        var repoName = RepoNameOf(fork);
        if (!VersNames.IsValid(repoName))
        {
            return;
        }

        var name = VersNames.ToObjectName(repoName);
        var repository = await services.Client.TryGetAsync<Repository>(Repository.Type, fork.Namespace, name, ct);
        if (repository is not null && ClaimedBy(repository) == fork.Uid)
        {
            await services.DeleteAsync(Repository.Type, fork.Namespace, name, ct, uid: repository.Metadata.Uid);
        }
    }

    public static string? ClaimedBy(Repository repository) =>
        repository.Metadata.Annotations is { } a && a.TryGetValue(VersGroup.ClaimedByAnnotation, out var uid) ? uid : null;

    /// <summary>From the spec when the status was never written (the claim happens before the first status write).</summary>
    public static string RepoNameOf(ForkContext fork) => fork.Status.RepoName ?? fork.Fork.Spec.RepoName ?? fork.Fork.Spec.SourceRepo;

    private static Repository Desired(ForkContext fork, string name) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = fork.Namespace,
            Labels = fork.Labels(),
            Annotations = new Dictionary<string, string> { [VersGroup.ClaimedByAnnotation] = fork.Uid },
            Finalizers = [RepositoryReconciler.Finalizer],
        },
        Spec = new RepositorySpec
        {
            Name = fork.Status.RepoName!,
            Visibility = Visibility.Private,
            ForkedFrom = new ForkOrigin
            {
                Org = fork.Fork.Spec.SourceOrg,
                Repository = fork.Fork.Spec.SourceRepo,
                Tag = fork.Fork.Spec.SourceTag,
                CommitId = fork.Source.CommitId!,
            },
        },
    };
}
