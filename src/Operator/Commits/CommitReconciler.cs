using k8s;
using Vers.Api;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Controllers;
using Vers.Kube.Events;
using Vers.Kube.Finalizers;
using Vers.Kube.Informers;

namespace Vers.Operator.Commits;

/// <summary>
/// Keeps a Commit while Tags point at it, as Kubernetes keeps a claim a pod uses (pvc-protection): every Commit carries
/// the <see cref="Finalizer"/> (a fork creates its Commit with it; this controller adds it to others), and a deleted
/// Commit is released only once no Tag of its namespace points at it. Meanwhile it stays, marked for deletion, with a
/// Warning event naming the Tags; deleting or moving them releases it (their events wake this controller). The Tag
/// informer must carry the <see cref="CommitTags"/> index.
/// </summary>
public sealed class CommitReconciler(IKubernetes client, ResourceInformer<Tag> tags, EventRecorder events) : IReconciler<Commit>
{
    /// <summary>Held while Tags point at the Commit.</summary>
    public const string Finalizer = "vers.sh/commit-protection";

    private readonly KubeRestClient _client = new(client, KubeJson.ReadWithoutManagedFields);

    public async Task<ReconcileResult> ReconcileAsync(Commit commit, CancellationToken ct)
    {
        var ns = commit.Metadata.NamespaceProperty;
        var name = commit.Metadata.Name;
        if (commit.Metadata.DeletionTimestamp is null)
        {
            await _client.AddFinalizerAsync(Commit.Type, commit, Finalizer, ct);

            return ReconcileResult.Done;
        }

        if (!FinalizerPatch.Has(commit.Metadata, Finalizer))
        {
            return ReconcileResult.Done;
        }

        var tagging = CommitTags.Of(tags, ns, name).Where(t => t.Metadata.DeletionTimestamp is null).ToList();
        if (tagging.Count > 0)
        {
            var names = string.Join(", ", tagging.Select(t => t.Status?.Reference ?? $"{t.Spec.Repository}:{t.Spec.Tag}").Order(StringComparer.Ordinal));
            await events.WarningAsync(commit, "CommitInUse", "Delete", $"Kept while tags point at it: {names}. Delete or move those tags to delete the commit", ct);
            return ReconcileResult.Done;
        }

        await _client.RemoveFinalizerAsync(Commit.Type, commit, Finalizer, ct);

        return ReconcileResult.Done;
    }
}
