using k8s;
using k8s.Models;
using Vers.Api;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Controllers;
using Vers.Kube.Finalizers;
using Vers.Kube.Informers;
using Vers.Kube.Status;

namespace Vers.Operator.Repositories;

/// <summary>
/// The one writer of every Repository's status, whoever created the Repository (a fork, kubectl, GitOps): its tag
/// count, where it was forked from, and Ready. A repository claimed by a fork still in flight stays without status
/// until the fork has recorded its Tag (the fork's last object, made once its commit is ready; its event wakes this
/// controller): then it is Ready, and the fork, which waits for that, succeeds. A fork that fails deletes it instead.
/// Every Repository carries the <see cref="Finalizer"/> (a fork creates it with it; this controller adds it to others):
/// deleting a Repository deletes its Tags, whether or not they name it as owner, and leaves its Commits and VMs, which
/// other repositories' tags and forks may still use. The Tag informer must carry the <see cref="RepositoryTags"/> index.
/// </summary>
/// <param name="claimingFork">The RepositoryFork with the given uid, from the fork informer; null when there is none.</param>
public sealed class RepositoryReconciler(
    IKubernetes client, ResourceInformer<Tag> tags, Func<string, RepositoryFork?> claimingFork, TimeProvider time) : IReconciler<Repository>
{
    /// <summary>Held until the Repository's Tags are deleted.</summary>
    public const string Finalizer = "vers.sh/repository-tags";

    private readonly KubeRestClient _client = new(client, KubeJson.ReadWithoutManagedFields);

    public async Task<ReconcileResult> ReconcileAsync(Repository repository, CancellationToken ct)
    {
        if (repository.Metadata.DeletionTimestamp is not null)
        {
            await DeleteTagsAsync(repository, ct);
            return ReconcileResult.Done;
        }

        repository = await _client.AddFinalizerAsync(Repository.Type, repository, Finalizer, ct);

        var fork = ClaimedBy(repository) is { } uid ? claimingFork(uid) : null;
        if (fork is not null && fork.Status?.Phase != ForkPhase.Succeeded && !TagsOf(repository).Any(t => IsFrom(t, fork)))
        {
            return ReconcileResult.Done;
        }

        await _client.UpdateAsync(Repository.Type, repository, Desire, ct);
        return ReconcileResult.Done;
    }

    /// <summary>
    /// Deletes the Tags naming the Repository, then releases it. A Tag created while this runs may escape it; a fork's
    /// Tags also name their Repository as owner, so the garbage collector removes those whatever the timing.
    /// </summary>
    private async Task DeleteTagsAsync(Repository repository, CancellationToken ct)
    {
        if (!FinalizerPatch.Has(repository.Metadata, Finalizer))
        {
            return;
        }

        foreach (var tag in TagsOf(repository))
        {
            await _client.DeleteAsync(Tag.Type, tag.Metadata.NamespaceProperty, tag.Metadata.Name, ct, uidPrecondition: tag.Metadata.Uid);
        }

        await _client.RemoveFinalizerAsync(Repository.Type, repository, Finalizer, ct);
    }

    /// <summary>Sets the status the repository should have; answers whether it changed.</summary>
    private bool Desire(Repository repository)
    {
        var status = repository.Status ??= new RepositoryStatus();
        status.Conditions ??= [];
        var count = TagsOf(repository).Count();
        var forkedFrom = repository.Spec.ForkedFrom is { } origin ? $"{origin.Org}/{origin.Repository}:{origin.Tag}" : null;
        var changed = status.Tags != count || status.ObservedGeneration != repository.Metadata.Generation || status.ForkedFrom != forkedFrom;
        status.Tags = count;
        status.ForkedFrom = forkedFrom;
        status.ObservedGeneration = repository.Metadata.Generation;
        var (reason, message) = forkedFrom is null
            ? ("Available", $"repository {repository.Spec.Name} is available")
            : ("Forked", $"forked from {forkedFrom}");
        var ready = Conditions.Find(status.Conditions, "Ready");
        if (ready?.Status != Conditions.True)
        {
            changed |= Conditions.Set(status.Conditions, new V1Condition
            {
                Type = "Ready",
                Status = Conditions.True,
                Reason = reason,
                Message = message,
                ObservedGeneration = repository.Metadata.Generation,
            }, time.GetUtcNow().UtcDateTime);
        }
        else if (ready.ObservedGeneration != repository.Metadata.Generation)
        {
            ready.ObservedGeneration = repository.Metadata.Generation;
            changed = true;
        }

        return changed;
    }

    private IEnumerable<Tag> TagsOf(Repository repository) =>
        RepositoryTags.Of(tags, repository.Metadata.NamespaceProperty, repository.Spec.Name).Where(t => t.Metadata.DeletionTimestamp is null);

    private static bool IsFrom(Tag tag, RepositoryFork fork) =>
        tag.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.ForkUidLabel, out var uid) && uid == fork.Metadata.Uid;

    private static string? ClaimedBy(Repository repository) =>
        repository.Metadata.Annotations is { } a && a.TryGetValue(VersGroup.ClaimedByAnnotation, out var uid) ? uid : null;

    /// <summary>A Tag's events concern the Repository it names.</summary>
    public static IEnumerable<ObjectKey> RepositoryOf(Tag tag) =>
        VersNames.IsValid(tag.Spec.Repository)
            ? [new ObjectKey(tag.Metadata.NamespaceProperty, VersNames.ToObjectName(tag.Spec.Repository))]
            : [];
}
