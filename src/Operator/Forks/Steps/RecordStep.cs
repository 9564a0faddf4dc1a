using k8s.Models;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube.Status;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// Records the result: the Commit ready to use, and the Tag (owned by the claimed Repository, with its reference) that
/// points at it. The Repository's status is the Repository controller's alone: the Tag's arrival is its signal that the
/// claimed repository holds its commit, and this step waits until the cache shows the repository Ready, so that a
/// fork that succeeded always leaves a Ready repository behind. Rollback: the Tag, when it is the fork's own.
/// </summary>
public sealed class RecordStep(ForkServices services) : IForkStep
{
    public string Name => "Record";

    public async Task<StepResult> RunAsync(ForkContext fork, CancellationToken ct)
    {
        var commit = services.Commits.Get(fork.Namespace, fork.CommitId)
            ?? await services.Client.GetAsync<Commit>(Commit.Type, fork.Namespace, fork.CommitId, ct);
        await MarkCommitReadyAsync(commit, ct);
        await EnsureTagAsync(fork, ct);

        // Woken by the repository's events (it carries the fork's label).
        var repository = services.Repositories.Get(fork.Namespace, VersNames.ToObjectName(fork.Status.RepoName!));
        if (repository is null || !Conditions.IsTrue(repository.Status?.Conditions, "Ready"))
        {
            var budget = services.Options.CloneTimeout + services.Options.StartTimeout + services.Options.SnapshotTimeout;
            return StepResult.Waiting(services.Deadline(fork, budget, $"repository {fork.Status.RepoName} did not become Ready"));
        }

        return StepResult.Done;
    }

    public async Task RollbackAsync(ForkContext fork, CancellationToken ct)
    {
        var repoName = ClaimRepositoryStep.RepoNameOf(fork);
        var tagName = fork.Status.TagName ?? fork.Fork.Spec.TagName ?? fork.Fork.Spec.SourceTag;
        if (!VersNames.IsValid(repoName) || !VersNames.IsValid(tagName))
        {
            return;
        }

        var name = VersNames.TagObjectName(repoName, tagName);
        var tag = services.Caches.Tags.Get(fork.Namespace, name) ?? await services.Client.TryGetAsync<Tag>(Tag.Type, fork.Namespace, name, ct);
        if (tag is not null && fork.Owns(tag))
        {
            await services.DeleteAsync(Tag.Type, fork.Namespace, name, ct);
        }
    }

    private async Task MarkCommitReadyAsync(Commit commit, CancellationToken ct)
    {
        if (commit.Status?.ReadyToUse == true)
        {
            return;
        }

        // The commit may be the cached (shared) object: change a copy of its status.
        var status = Copy(commit.Status) ?? new CommitStatus();
        status.ReadyToUse = true;
        status.ObservedGeneration = commit.Metadata.Generation;
        status.Conditions ??= [];
        Conditions.Set(status.Conditions, new V1Condition
        {
            Type = "Ready",
            Status = Conditions.True,
            Reason = "SnapshotReady",
            Message = $"VirtualMachineSnapshot {commit.Spec.SnapshotName} is ready to use",
            ObservedGeneration = commit.Metadata.Generation,
        }, services.Now());
        // Remembered until the informer has it: the next pass (woken by the repository going Ready) may come first.
        services.Commits.Wrote(await services.Client.PatchAsync<Commit>(
            Commit.Type, commit.Metadata.NamespaceProperty, commit.Metadata.Name, new { status }, ct, subresource: "status"));
    }

    /// <summary>Creates the fork's Tag with its reference (or adopts its own after a crash; another one of that name fails the fork).</summary>
    private async Task EnsureTagAsync(ForkContext fork, CancellationToken ct)
    {
        var status = fork.Status;
        var ns = fork.Namespace;
        var name = VersNames.TagObjectName(status.RepoName!, status.TagName!);
        var reference = $"{status.RepoName}:{status.TagName}";
        var tag = services.Tags.Get(ns, name);
        if (tag is not null && !fork.Owns(tag))
        {
            throw new ForkFailedException(ForkReasons.Rejected, $"Tag {ns}/{name} exists and was not created by this fork");
        }

        if (tag is null)
        {
            var repository = services.Repositories.Get(ns, VersNames.ToObjectName(status.RepoName!))
                ?? await services.Client.GetAsync<Repository>(Repository.Type, ns, VersNames.ToObjectName(status.RepoName!), ct);
            tag = await services.CreateOrAdoptAsync(Tag.Type, new Tag
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = ns,
                    Labels = fork.Labels(),
                    OwnerReferences = [KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Repository", repository.Metadata)],
                },
                Spec = new TagSpec { Repository = status.RepoName!, Tag = status.TagName!, CommitId = status.CommitId! },

                // No status subresource on Tag: the reference goes in with the create.
                Status = new TagStatus { Reference = reference },
            }, fork, ct);
            services.Tags.Wrote(tag);
        }

        // A Tag of this fork's made without its reference (by an operator before Tag lost its status subresource, which
        // wrote it in a second request) gets it through the object itself.
        if (tag.Status?.Reference != reference)
        {
            services.Tags.Wrote(await services.Client.PatchAsync<Tag>(Tag.Type, ns, name, new { status = new TagStatus { Reference = reference } }, ct));
        }
    }

    private static TStatus? Copy<TStatus>(TStatus? status)
        where TStatus : class =>
        status is null ? null : k8s.KubernetesJson.Deserialize<TStatus>(k8s.KubernetesJson.Serialize(status));
}
