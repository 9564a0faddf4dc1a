using k8s;
using k8s.Models;
using Vers.Operator.Entities;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;
using Vers.Operator.Runtime.Controllers;
using Vers.Operator.Runtime.Informers;
using Vers.Operator.Runtime.Status;

namespace Vers.Operator.Repositories;

/// <summary>
/// Keeps every Repository's status current, whoever created it (a fork, kubectl, GitOps): its tag
/// count and Ready. A repository claimed by a fork still in flight is left to that fork, which marks
/// it Ready when the fork succeeds. The Tag informer must carry the <see cref="RepositoryTags"/> index.
/// </summary>
public sealed class RepositoryReconciler(IKubernetes client, ResourceInformer<Tag> tags, TimeProvider time) : IReconciler<Repository>
{
    private readonly KubeRestClient _client = new(client, KubeJson.ReadWithoutManagedFields);

    public async Task<ReconcileResult> ReconcileAsync(Repository repository, CancellationToken ct)
    {
        var claimed = repository.Metadata.Annotations?.ContainsKey(VersGroup.ClaimedByAnnotation) == true;
        if (repository.Metadata.DeletionTimestamp is not null || (claimed && Conditions.Find(repository.Status?.Conditions, "Ready") is null))
        {
            return ReconcileResult.Done;
        }

        await _client.UpdateAsync(Repository.Type, repository, Desire, ct);
        return ReconcileResult.Done;
    }

    /// <summary>Sets the status the repository should have; answers whether it changed.</summary>
    private bool Desire(Repository repository)
    {
        var status = repository.Status ??= new RepositoryStatus();
        status.Conditions ??= [];
        var ready = Conditions.Find(status.Conditions, "Ready");
        var count = RepositoryTags.Of(tags, repository.Metadata.NamespaceProperty, repository.Spec.Name)
            .Count(t => t.Metadata.DeletionTimestamp is null);
        var changed = status.Tags != count || status.ObservedGeneration != repository.Metadata.Generation;
        status.Tags = count;
        status.ObservedGeneration = repository.Metadata.Generation;
        if (ready?.Status != Conditions.True)
        {
            changed |= Conditions.Set(status.Conditions, new V1Condition
            {
                Type = "Ready",
                Status = Conditions.True,
                Reason = "Available",
                Message = $"repository {repository.Spec.Name} is available",
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

    /// <summary>A Tag's events concern the Repository it names.</summary>
    public static IEnumerable<ObjectKey> RepositoryOf(Tag tag) =>
        VersNames.IsValid(tag.Spec.Repository)
            ? [new ObjectKey(tag.Metadata.NamespaceProperty, VersNames.ToObjectName(tag.Spec.Repository))]
            : [];
}
