using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.Api;
using Vers.Operator.Forks.Steps;
using Vers.Kube.Controllers;
using Vers.Kube.Events;
using Vers.Kube.Finalizers;
using Vers.Kube.Informers;
using Vers.Kube.Status;

namespace Vers.Operator.Forks;

/// <summary>
/// Reconciles a RepositoryFork, kubebuilder style — one linear pass: fetch → finalizer → start (validate, resolve the
/// source, claim the target, record intent) → the steps in order (<see cref="IForkStep"/>: claim, VM, start, commit,
/// record) → finish. Every object a step creates has a deterministic name or one recorded in status first, so a crash
/// after any write resumes without creating anything twice. Whatever makes the fork fail — a terminal state, a refused
/// write, a lost source, the deadline — arrives as one <see cref="ForkFailedException"/> and takes one path: status
/// Failed with the reason and message, then every step's rollback, resumable from status.step RollingBack.
/// </summary>
public sealed partial class ForkReconciler : IReconciler<RepositoryFork>
{
    private readonly ForkServices _services;
    private readonly SourceResolver _resolver;
    private readonly EventRecorder _events;
    private readonly string _instance;
    private readonly ReadYourWrites<RepositoryFork> _written;
    private readonly ILogger<ForkReconciler> _logger;
    private readonly ClaimRepositoryStep _claim;
    private readonly IForkStep _clone;
    private readonly IForkStep _copy;
    private readonly IForkStep[] _afterVm;

    public ForkReconciler(
        IKubernetes kubernetes,
        ForkCaches caches,
        SourceResolver resolver,
        EventRecorder events,
        string instance,
        ReadYourWrites<RepositoryFork> written,
        ForkOptions options,
        ILogger<ForkReconciler> logger,
        TimeProvider time)
    {
        _services = new ForkServices(kubernetes, caches, options, time);
        _resolver = resolver;
        _events = events;
        _instance = instance;
        _written = written;
        _logger = logger;
        _claim = new ClaimRepositoryStep(_services);
        _clone = new CloneVmStep(_services);
        _copy = new CopyVmStep(_services);
        _afterVm = [new StartVmStep(_services), new CommitStep(_services), new RecordStep(_services)];
    }

    /// <summary>The fork's steps in order: same organisation clones the VM with KubeVirt, another copies its disks with CDI.</summary>
    private IEnumerable<IForkStep> Steps(ForkContext fork) => [_claim, fork.SameNamespace ? _clone : _copy, .. _afterVm];

    public async Task<ReconcileResult> ReconcileAsync(RepositoryFork obj, CancellationToken ct)
    {
        // Read-your-writes: a copy older than our last write would decide on stale data and meet a 409; the
        // informer's event for that write enqueues the fork again (the delay is only a safety net).
        if (_written.Stale(obj) is { } stale)
        {
            return ReconcileResult.After(stale);
        }

        var fork = new ForkContext(obj);
        var status = fork.Status;
        if (obj.Metadata.DeletionTimestamp is not null)
        {
            await FinalizeAsync(fork, ct);
            return ReconcileResult.Done;
        }

        if (status.Phase is ForkPhase.Succeeded or ForkPhase.Failed)
        {
            if (HasFinalizer(fork.Fork))
            {
                fork.Fork = await RemoveFinalizerAsync(fork.Fork, ct);
            }

            return await ExpireAsync(fork.Fork, ct);
        }

        if (status.Step == ForkSteps.RollingBack)
        {
            await FailAsync(fork, status.Error!.Reason, status.Error.Message, ct);
            return ReconcileResult.Done;
        }

        if (!HasFinalizer(fork.Fork))
        {
            fork.Fork = await AddFinalizerAsync(fork.Fork, ct);
        }

        try
        {
            if (status.Resolved is null || status.VmId is null || status.CommitId is null)
            {
                await StartAsync(fork, ct);
            }

            foreach (var step in Steps(fork))
            {
                var result = await step.RunAsync(fork, ct);
                if (!result.IsDone)
                {
                    return result.Wait!.Value;
                }
            }

            return await SucceedAsync(fork, ct);
        }
        catch (ForkFailedException e)
        {
            await FailAsync(fork, e.Reason, e.Message, ct);
            return ReconcileResult.Done;
        }
    }

    /// <summary>
    /// Validates, resolves the source, checks that its VM can live here, claims the target name and records intent — the
    /// new ids and the volumes to be made — in one status write, before any object named by them is created.
    /// </summary>
    private async Task StartAsync(ForkContext fork, CancellationToken ct)
    {
        var spec = fork.Fork.Spec;
        var status = fork.Status;
        var now = _services.Now();
        status.Source = $"{spec.SourceOrg}/{spec.SourceRepo}:{spec.SourceTag}";
        status.RepoName = spec.RepoName ?? spec.SourceRepo;
        status.TagName = spec.TagName ?? spec.SourceTag;
        status.StartTime ??= now;

        if (Validate(spec) is { } invalid)
        {
            throw new ForkFailedException(ForkReasons.Invalid, invalid);
        }

        // Both answers come from the caches, confirmed with the API server before they fail the fork (SourceResolver).
        var ns = fork.Namespace;
        if (await _resolver.OrgOfAsync(ns, ct) is not { } org)
        {
            throw new ForkFailedException(ForkReasons.Invalid, $"namespace {ns} is not an organisation (it has no {VersGroup.OrgLabel} label)");
        }

        var (source, error) = await _resolver.ResolveAsync(spec, ns, ct);
        if (source is null)
        {
            throw new ForkFailedException(ForkReasons.SourceNotFound, error!);
        }

        status.Resolved = new ForkSourceStatus
        {
            Namespace = source.Namespace,
            CommitId = source.Commit.Metadata.Name,
            Snapshot = source.Snapshot.Metadata.Name,
            Method = source.Namespace == ns ? "VirtualMachineClone" : "DataVolumes",
        };
        status.Resolved.Volumes = await VolumesAsync(fork, org, source, ct);

        // Claim the target name before choosing ids: a fork that loses the name never names a VM.
        if (await _claim.ClaimAsync(fork, ct) is null)
        {
            throw new ForkFailedException(ForkReasons.TargetExists, $"repository {status.RepoName} already exists");
        }

        status.Phase = ForkPhase.Running;
        status.Step = ForkSteps.Forking;
        status.VmId ??= Guid.NewGuid().ToString();
        status.CommitId ??= Guid.NewGuid().ToString();
        status.ObservedGeneration = fork.Fork.Metadata.Generation;
        status.Conditions ??= [];
        Conditions.Set(status.Conditions, Condition("Ready", Conditions.False, "Forking", $"forking {status.Source}", fork.Fork), now);
        var content = fork.SourceContent;
        fork.Fork = await WriteStatusAsync(fork.Fork, ct);
        fork.SourceContent = content;
        _logger.LogInformation(
            ForkLogEvents.Started,
            "Fork {Namespace}/{Name} of {Source} started by {Instance}: vm {VmId}, commit {CommitId}, via {Method}",
            ns, fork.Fork.Metadata.Name, status.Source, _instance, fork.Status.VmId, fork.Status.CommitId, fork.Status.Resolved!.Method);
        await _events.NormalAsync(fork.Fork, "Created", "Fork",
            $"Forking {status.Source} into {status.RepoName}:{status.TagName}: VirtualMachine {fork.Status.VmId} and commit {fork.Status.CommitId}, via {fork.Status.Resolved.Method}", ct);
    }

    /// <summary>
    /// The source commit's backed-up volumes, which name what the fork will make. Across organisations they come from
    /// the source snapshot's content, read here once, after checking the VM can live in this namespace at all.
    /// </summary>
    private async Task<List<string>> VolumesAsync(ForkContext fork, string org, ResolvedSource source, CancellationToken ct)
    {
        if (fork.SameNamespace && source.Snapshot.Status?["snapshotVolumes"]?["includedVolumes"] is JsonArray included)
        {
            return [.. included.Select(v => (string?)v).OfType<string>()];
        }

        var content = await _services.SourceContentAsync(fork, ct);
        if (!fork.SameNamespace && Portability.Problems(content, fork.Namespace) is { Count: > 0 } problems)
        {
            throw new ForkFailedException(
                ForkReasons.UnsupportedSource,
                $"the VM of {fork.Status.Source} cannot be forked into organisation {org}: it uses {string.Join("; ", problems)}. " +
                "A fork into another organisation carries only the commit's disks; fork it within its own organisation, or publish a VM without these references");
        }

        return [.. (content["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(b => b["volumeSnapshotName"] is not null)
            .Select(b => (string?)b["volumeName"])
            .OfType<string>()];
    }

    private static string? Validate(RepositoryForkSpec spec)
    {
        if (string.IsNullOrEmpty(spec.SourceOrg) || spec.SourceOrg.Length > VersNames.OrgMaxLength)
        {
            return "spec.sourceOrg: must be 1-63 characters";
        }

        foreach (var (field, value, required) in new[]
        {
            ("spec.sourceRepo", spec.SourceRepo, true),
            ("spec.sourceTag", spec.SourceTag, true),
            ("spec.repoName", spec.RepoName, false),
            ("spec.tagName", spec.TagName, false),
        })
        {
            if ((value is not null || required) && !VersNames.IsValid(value))
            {
                return $"{field}: must be 1-64 letters, digits, '-', '_' or '.', and not '.' or '..'";
            }
        }

        return null;
    }

    private async Task<RepositoryFork> WriteStatusAsync(RepositoryFork fork, CancellationToken ct)
    {
        // PUT carries the resourceVersion we read: a decision made on a stale copy gets 409 and is retried on fresh data.
        var replaced = await _services.Client.ReplaceAsync(RepositoryFork.Type, fork.Metadata.NamespaceProperty, fork.Metadata.Name, fork, ct, subresource: "status");
        _written.Wrote(replaced);
        return replaced;
    }

    private Task<RepositoryFork> AddFinalizerAsync(RepositoryFork fork, CancellationToken ct) =>
        PatchFinalizersAsync(fork, FinalizerPatch.Add(fork.Metadata, ForkOptions.Finalizer), ct);

    private async Task<RepositoryFork> RemoveFinalizerAsync(RepositoryFork fork, CancellationToken ct)
    {
        try
        {
            return await PatchFinalizersAsync(fork, FinalizerPatch.Remove(fork.Metadata, ForkOptions.Finalizer), ct);
        }
        catch (Kube.Client.KubeApiException e) when (e.IsNotFound)
        {
            return fork;
        }
    }

    private async Task<RepositoryFork> PatchFinalizersAsync(RepositoryFork fork, string? patch, CancellationToken ct)
    {
        if (patch is null)
        {
            return fork;
        }

        var patched = await _services.Client.PatchAsync<RepositoryFork>(
            RepositoryFork.Type, fork.Metadata.NamespaceProperty, fork.Metadata.Name, patch, ct, Kube.Client.PatchKind.Json);
        _written.Wrote(patched);
        patched.Status ??= fork.Status;
        return patched;
    }

    private static bool HasFinalizer(RepositoryFork fork) => FinalizerPatch.Has(fork.Metadata, ForkOptions.Finalizer);

    private static V1Condition Condition(string type, string status, string reason, string message, RepositoryFork fork) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        ObservedGeneration = fork.Metadata.Generation,
    };
}
