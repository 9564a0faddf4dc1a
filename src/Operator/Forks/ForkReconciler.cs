using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;
using Vers.Operator.Entities;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;
using Vers.Operator.Runtime.Controllers;
using Vers.Operator.Runtime.Events;
using Vers.Operator.Runtime.Finalizers;
using Vers.Operator.Runtime.Informers;
using Vers.Operator.Runtime.Status;

namespace Vers.Operator.Forks;

/// <summary>The caches the fork pipeline reads; writes always go to the API server.</summary>
public sealed record ForkCaches(
    ResourceInformer<RepositoryFork> Forks,
    ResourceInformer<Repository> Repositories,
    ResourceInformer<Tag> Tags,
    ResourceInformer<Commit> Commits,
    ResourceInformer<GenericObject> Snapshots,
    ResourceInformer<GenericObject> Clones,
    ResourceInformer<GenericObject> DataVolumes,
    ResourceInformer<GenericObject> VirtualMachines);

/// <summary>
/// Reconciles a RepositoryFork (DESIGN §5), kubebuilder style — one linear pass: fetch → finalizer →
/// resolve and record intent → claim the target → VM → start → commit → record → finish. Every
/// object it creates has a deterministic name or one recorded in status first, so a crash after any
/// write resumes without creating anything twice.
/// </summary>
public sealed class ForkReconciler(
    IKubernetes kubernetes,
    ForkCaches caches,
    OrgDirectory orgs,
    SourceResolver resolver,
    EventRecorder events,
    string instance,
    WriteExpectations<RepositoryFork> written,
    ForkOptions options,
    ILogger<ForkReconciler> logger,
    TimeProvider time) : IReconciler<RepositoryFork>
{
    private static readonly TimeSpan TagCacheWait = TimeSpan.FromSeconds(2);
    private static readonly Counter ForksTotal = Metrics.CreateCounter("vers_forks_total", "Forks finished, by result.", "result");
    private static readonly Histogram ForkDuration = Metrics.CreateHistogram(
        "vers_fork_duration_seconds",
        "Time from the operator's first look at a fork to its terminal phase.",
        new HistogramConfiguration { LabelNames = ["result"], Buckets = Histogram.ExponentialBuckets(0.05, 2, 16) });

    private readonly KubeRestClient _client = new(kubernetes, KubeJson.ReadWithoutManagedFields);

    // The VM is the one child whose cache lags visibly: its DataVolumes' events wake the fork before the VM's own ADDED.
    private readonly RecentCreates<GenericObject> _vms = new(caches.VirtualMachines, time);

    // Likewise the Commit: its snapshot's events can arrive first.
    private readonly RecentCreates<Commit> _commits = new(caches.Commits, time);

    // The VirtualMachineClone too: the fork's next pass can come before the clone's ADDED.
    private readonly RecentCreates<GenericObject> _clones = new(caches.Clones, time);

    // And the claimed Repository, looked up again right after the intent write, often before its ADDED arrives.
    private readonly RecentCreates<Repository> _repositories = new(caches.Repositories, time);

    // A cloned VM we patched to run looks Halted in the cache until the patch's event arrives: not a reason to patch again.
    private readonly WriteExpectations<GenericObject> _vmWrites = new(caches.VirtualMachines, time);

    public async Task<ReconcileResult> ReconcileAsync(RepositoryFork fork, CancellationToken ct)
    {
        // Read-your-writes: a copy older than our last write would decide on stale data and meet a 409; the
        // informer's event for that write enqueues the fork again (the delay is only a safety net).
        if (written.Pending(fork) is { } stale)
        {
            return ReconcileResult.After(stale);
        }

        fork.Status ??= new RepositoryForkStatus();
        if (fork.Metadata.DeletionTimestamp is not null)
        {
            await FinalizeAsync(fork, ct);
            return ReconcileResult.Done;
        }

        if (fork.Status.Phase is ForkPhase.Succeeded or ForkPhase.Failed)
        {
            if (HasFinalizer(fork))
            {
                fork = await RemoveFinalizerAsync(fork, ct);
            }

            return await ExpireAsync(fork, ct);
        }

        if (fork.Status.Step == Steps.RollingBack)
        {
            await FailAsync(fork, fork.Status.Error!.Reason, fork.Status.Error.Message, ct);
            return ReconcileResult.Done;
        }

        if (!HasFinalizer(fork))
        {
            fork = await AddFinalizerAsync(fork, ct);
        }

        try
        {
            return await AdvanceAsync(fork, ct);
        }
        catch (DeadlineExceededException e)
        {
            await FailAsync(fork, ForkReasons.Timeout, e.Message, ct);
            return ReconcileResult.Done;
        }
    }

    private async Task<ReconcileResult> AdvanceAsync(RepositoryFork fork, CancellationToken ct)
    {
        // 1, 2 and 4: validate, resolve the source and choose the new ids, in one status write, before anything is created.
        fork.Status ??= new RepositoryForkStatus();
        if (fork.Status.Resolved is null || fork.Status.VmId is null || fork.Status.CommitId is null)
        {
            var started = await StartAsync(fork, ct);
            if (started is null)
            {
                return ReconcileResult.Done;
            }

            fork = started;
        }

        var status = fork.Status!;
        var ns = fork.Metadata.NamespaceProperty;

        // 3 (again, idempotent): the claimed Repository, which owns the Tag recorded at the end.
        var repository = await ClaimAsync(fork, ct);
        if (repository is null)
        {
            await FailAsync(fork, ForkReasons.TargetExists, $"repository {status.RepoName} is no longer claimed by this fork", ct);
            return ReconcileResult.Done;
        }

        // 5. The VM.
        var vmStep = status.Resolved!.Namespace == ns
            ? await EnsureClonedVmAsync(fork, ct)
            : await EnsureCopiedVmAsync(fork, ct);
        if (vmStep.Failure is { } vmFailure)
        {
            await FailAsync(fork, vmFailure.Reason, vmFailure.Message, ct);
            return ReconcileResult.Done;
        }

        if (vmStep.Wait is { } vmWait)
        {
            return vmWait;
        }

        // 6. Running, then committed.
        var vm = vmStep.Vm!;
        var running = WaitForRunning(vm);
        if (running.Failure is { } runFailure)
        {
            await FailAsync(fork, runFailure.Reason, runFailure.Message, ct);
            return ReconcileResult.Done;
        }

        if (running.Wait is { } runWait)
        {
            return runWait;
        }

        var commit = await EnsureCommitAsync(fork, ct);
        var snapshot = await EnsureSnapshotAsync(fork, commit, ct);
        var snapshotState = SnapshotState(snapshot);
        if (snapshotState.Failure is { } snapshotFailure)
        {
            await FailAsync(fork, snapshotFailure.Reason, snapshotFailure.Message, ct);
            return ReconcileResult.Done;
        }

        if (snapshotState.Wait is { } snapshotWait)
        {
            return snapshotWait;
        }

        // 7. Record Commit, Tag and the Repository's readiness.
        await MarkCommitReadyAsync(commit, ct);
        var tagName = await EnsureTagAsync(fork, repository, ct);
        await TagCachedAsync(fork.Metadata.NamespaceProperty, tagName, ct);
        await MarkRepositoryReadyAsync(fork, repository, ct);

        // 8. Done.
        return await SucceedAsync(fork, ct);
    }

    private async Task<RepositoryFork?> StartAsync(RepositoryFork fork, CancellationToken ct)
    {
        var spec = fork.Spec;
        var status = fork.Status!;
        var now = Now();
        status.Source = $"{spec.SourceOrg}/{spec.SourceRepo}:{spec.SourceTag}";
        status.RepoName = spec.RepoName ?? spec.SourceRepo;
        status.TagName = spec.TagName ?? spec.SourceTag;
        status.StartTime ??= now;

        var invalid = Validate(spec);
        if (invalid is not null)
        {
            await FailAsync(fork, ForkReasons.Invalid, invalid, ct, rollback: false);
            return null;
        }

        var ns = fork.Metadata.NamespaceProperty;
        if (orgs.OrgOf(ns) is null)
        {
            await FailAsync(fork, ForkReasons.Invalid, $"namespace {ns} is not an organisation (it has no {VersGroup.OrgLabel} label)", ct, rollback: false);
            return null;
        }

        var (source, error) = resolver.Resolve(spec, ns);
        if (source is null)
        {
            await FailAsync(fork, ForkReasons.SourceNotFound, error!, ct, rollback: false);
            return null;
        }

        status.Resolved = new ForkSourceStatus
        {
            Namespace = source.Namespace,
            CommitId = source.Commit.Metadata.Name,
            Snapshot = source.Snapshot.Metadata.Name,
            Method = source.Namespace == ns ? "VirtualMachineClone" : "DataVolumes",
        };

        // 3. Claim the target name before choosing ids: a fork that loses the name never names a VM.
        if (await ClaimAsync(fork, ct) is null)
        {
            await FailAsync(fork, ForkReasons.TargetExists, $"repository {status.RepoName} already exists", ct, rollback: false);
            return null;
        }

        // 4. Record intent: the ids of everything still to be created, before any of it is.
        status.Phase = ForkPhase.Running;
        status.Step = Steps.CreatingVm;
        status.VmId ??= Guid.NewGuid().ToString();
        status.CommitId ??= Guid.NewGuid().ToString();
        status.ObservedGeneration = fork.Metadata.Generation;
        status.Conditions ??= [];
        Conditions.Set(status.Conditions, Condition("Ready", Conditions.False, "Forking", $"forking {status.Source}", fork), now);
        var written = await WriteStatusAsync(fork, ct);

        // No Event: the status just written (Running, Ready=False Forking) says the same, and an Event is one more write.
        logger.LogInformation(
            ForkLogEvents.Started,
            "Fork {Namespace}/{Name} of {Source} started by {Instance}: vm {VmId}, commit {CommitId}, via {Method}",
            ns, fork.Metadata.Name, status.Source, instance, status.VmId, status.CommitId, status.Resolved.Method);
        return written;
    }

    private static string? Validate(RepositoryForkSpec spec)
    {
        if (string.IsNullOrEmpty(spec.SourceOrg) || spec.SourceOrg.Length > 63)
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
                return $"{field}: must be 1-64 letters, digits, '-', '_' or '.'";
            }
        }

        return null;
    }

    /// <summary>Creates the target Repository annotated with this fork's uid; null when another owns the name.</summary>
    private async Task<Repository?> ClaimAsync(RepositoryFork fork, CancellationToken ct)
    {
        var status = fork.Status!;
        var ns = fork.Metadata.NamespaceProperty;
        var name = VersNames.ToObjectName(status.RepoName!);
        // Not cached: create it; only AlreadyExists (ours from an earlier pass, or someone else's) costs a read.
        var existing = _repositories.Get(ns, name);
        if (existing is null)
        {
            var claim = new Repository
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = ns,
                    Labels = ForkLabels(fork),
                    Annotations = new Dictionary<string, string> { [VersGroup.ClaimedByAnnotation] = fork.Metadata.Uid },
                },
                Spec = new RepositorySpec
                {
                    Name = status.RepoName!,
                    Visibility = Visibility.Private,
                    ForkedFrom = new ForkOrigin
                    {
                        Org = fork.Spec.SourceOrg,
                        Repository = fork.Spec.SourceRepo,
                        Tag = fork.Spec.SourceTag,
                        CommitId = status.Resolved!.CommitId!,
                    },
                },
            };
            try
            {
                existing = await _client.CreateAsync(Repository.Type, ns, claim, ct, ForkOptions.FieldManager);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                existing = await _client.GetAsync<Repository>(Repository.Type, ns, name, ct);
            }

            _repositories.Created(existing);
        }

        return ClaimedBy(existing) == fork.Metadata.Uid ? existing : null;
    }

    private static string? ClaimedBy(Repository repository) =>
        repository.Metadata.Annotations is { } a && a.TryGetValue(VersGroup.ClaimedByAnnotation, out var uid) ? uid : null;

    /// <summary>Same namespace: a VirtualMachineClone from the source snapshot, then start the VM it made.</summary>
    private async Task<VmStep> EnsureClonedVmAsync(RepositoryFork fork, CancellationToken ct)
    {
        var status = fork.Status!;
        var ns = fork.Metadata.NamespaceProperty;
        var vmId = status.VmId!;
        var clone = _clones.Get(ns, vmId);
        if (clone is null)
        {
            clone = await CreateOrAdoptAsync(
                KubeVirtTypes.VirtualMachineClone,
                KubeVirtObjects.Clone(ns, vmId, status.Resolved!.Snapshot!, vmId, ForkLabels(fork)),
                fork,
                ct);
            _clones.Created(clone);
        }

        var phase = (string?)clone.Status?["phase"];
        if (phase == "Failed")
        {
            return VmStep.Fail(ForkReasons.CloneFailed, $"VirtualMachineClone {vmId} failed: {ConditionMessage(clone.Status, "Ready")}");
        }

        if (phase != "Succeeded")
        {
            return VmStep.Waiting(Deadline(clone, options.CloneTimeout, $"VirtualMachineClone {vmId} did not succeed"));
        }

        var vm = caches.VirtualMachines.Get(ns, vmId) ?? await _client.TryGetAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns, vmId, ct);
        if (vm is null)
        {
            return VmStep.Fail(ForkReasons.CloneFailed, $"VirtualMachineClone {vmId} succeeded but VirtualMachine {vmId} does not exist");
        }

        if (_vmWrites.Pending(vm) is { } stale)
        {
            return VmStep.Waiting(ReconcileResult.After(stale));
        }

        if ((string?)vm.Spec?["runStrategy"] != "Always" || !HasForkLabels(vm, fork))
        {
            // KubeVirt creates the clone Halted; a fork's VM runs. Label it too, so its events find the fork.
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = ToJson(ForkLabels(fork)) },
                ["spec"] = new JsonObject { ["running"] = null, ["runStrategy"] = "Always" },
            };
            vm = await _client.PatchAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns, vmId, patch.ToJsonString(), ct);
            _vmWrites.Wrote(vm);
        }

        return VmStep.Ready(vm);
    }

    /// <summary>Across namespaces: DataVolumes from the source snapshot's VolumeSnapshots, plus a VM from its VM copy.</summary>
    private async Task<VmStep> EnsureCopiedVmAsync(RepositoryFork fork, CancellationToken ct)
    {
        var status = fork.Status!;
        var ns = fork.Metadata.NamespaceProperty;
        var vmId = status.VmId!;
        var vm = _vms.Get(ns, vmId);
        var dataVolumes = new List<GenericObject>();
        if (vm is null)
        {
            var source = caches.Snapshots.Get(status.Resolved!.Namespace, status.Resolved.Snapshot!)
                ?? await _client.GetAsync<GenericObject>(KubeVirtTypes.VirtualMachineSnapshot, status.Resolved.Namespace, status.Resolved.Snapshot!, ct);
            var contentName = (string?)source.Status?["virtualMachineSnapshotContentName"];
            var content = contentName is null
                ? null
                : await _client.TryGetAsync<GenericObject>(KubeVirtTypes.VirtualMachineSnapshotContent, status.Resolved.Namespace, contentName, ct);
            if (content?.Spec?["source"]?["virtualMachine"] is not JsonObject sourceVm)
            {
                return VmStep.Fail(ForkReasons.SourceNotFound, $"the content of source snapshot {status.Resolved.Snapshot} is missing");
            }

            var byVolume = new Dictionary<string, string>();
            foreach (var backup in (content.Spec["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var volumeName = (string?)backup["volumeName"];
                if (volumeName is null || backup["volumeSnapshotName"] is null)
                {
                    continue;
                }

                var dvName = DataVolumeName(vmId, volumeName);
                byVolume[volumeName] = dvName;
                var dv = caches.DataVolumes.Get(ns, dvName)
                    ?? await CreateOrAdoptAsync(
                        KubeVirtTypes.DataVolume,
                        KubeVirtObjects.DataVolume(ns, dvName, status.Resolved.Namespace!, backup, ForkLabels(fork)),
                        fork,
                        ct);
                dataVolumes.Add(dv);
            }

            vm = await CreateOrAdoptAsync(
                KubeVirtTypes.VirtualMachine,
                KubeVirtObjects.VirtualMachineFromContent(sourceVm, ns, vmId, byVolume, ForkLabels(fork)),
                fork,
                ct);
            _vms.Created(vm);
        }
        else
        {
            // By name from the VM's volumes, not a scan of every DataVolume in the namespace.
            foreach (var volume in (vm.Spec?["template"]?["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)volume["dataVolume"]?["name"] is { } dvName && caches.DataVolumes.Get(ns, dvName) is { } dv && IsOurs(dv, fork))
                {
                    dataVolumes.Add(dv);
                }
            }
        }

        foreach (var dv in dataVolumes)
        {
            // Once: a cached object parses its fields on every read.
            var dvStatus = dv.Status;
            var phase = (string?)dvStatus?["phase"];
            if (phase == "Failed")
            {
                return VmStep.Fail(ForkReasons.CloneFailed, $"DataVolume {dv.Metadata.Name} failed: {ConditionMessage(dvStatus, "Ready")}");
            }

            if (phase != "Succeeded")
            {
                return VmStep.Waiting(Deadline(vm, options.CloneTimeout, $"DataVolume {dv.Metadata.Name} was not populated"));
            }
        }

        return VmStep.Ready(vm);
    }

    private StepState WaitForRunning(GenericObject vm)
    {
        var printable = (string?)vm.Status?["printableStatus"];
        if (printable == "Running")
        {
            return StepState.Done;
        }

        if (printable is "DataVolumeError" or "ErrorPvcNotFound" or "CrashLoopBackOff" or "ErrorUnschedulable" or "ErrImagePull" or "ImagePullBackOff")
        {
            return StepState.Fail(ForkReasons.VmFailed, $"VirtualMachine {vm.Metadata.Name} cannot run: {printable}");
        }

        return StepState.Waiting(Deadline(vm, options.CloneTimeout + options.StartTimeout, $"VirtualMachine {vm.Metadata.Name} did not start"));
    }

    private async Task<Commit> EnsureCommitAsync(RepositoryFork fork, CancellationToken ct)
    {
        var status = fork.Status!;
        var ns = fork.Metadata.NamespaceProperty;
        var commitId = status.CommitId!;
        if (_commits.Get(ns, commitId) is { } cached)
        {
            return cached;
        }

        var commit = new Commit
        {
            Metadata = new V1ObjectMeta { Name = commitId, NamespaceProperty = ns, Labels = ForkLabels(fork) },
            Spec = new CommitSpec
            {
                SnapshotName = commitId,
                SourceVm = status.VmId,
                ParentCommit = new CommitParent { Org = fork.Spec.SourceOrg, CommitId = status.Resolved!.CommitId! },
            },
        };
        try
        {
            commit = await _client.CreateAsync(Commit.Type, ns, commit, ct, ForkOptions.FieldManager);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            commit = await _client.GetAsync<Commit>(Commit.Type, ns, commitId, ct);
        }

        _commits.Created(commit);
        return commit;
    }

    /// <summary>The commit's VirtualMachineSnapshot, owned by the Commit so deleting the commit deletes it.</summary>
    private async Task<GenericObject> EnsureSnapshotAsync(RepositoryFork fork, Commit commit, CancellationToken ct)
    {
        var ns = fork.Metadata.NamespaceProperty;
        var name = fork.Status!.CommitId!;
        if (caches.Snapshots.Get(ns, name) is { } cached)
        {
            return cached;
        }

        var snapshot = KubeVirtObjects.Snapshot(
            ns, name, fork.Status.VmId!, ForkLabels(fork), KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Commit", commit.Metadata), options.SnapshotTimeout);
        var created = await CreateOrAdoptAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, fork, ct);
        return created;
    }

    private StepState SnapshotState(GenericObject snapshot)
    {
        // Once: a cached object parses its fields on every read.
        var status = snapshot.Status;
        if (status?["readyToUse"]?.GetValue<bool>() == true)
        {
            return StepState.Done;
        }

        if ((string?)status?["phase"] == "Failed")
        {
            var message = (string?)status["error"]?["message"] ?? ConditionMessage(status, "Failure");
            return StepState.Fail(ForkReasons.SnapshotFailed, $"VirtualMachineSnapshot {snapshot.Metadata.Name} failed: {message}");
        }

        return StepState.Waiting(Deadline(snapshot, options.SnapshotTimeout, $"VirtualMachineSnapshot {snapshot.Metadata.Name} did not become ready"));
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
        }, Now());
        await _client.PatchAsync<Commit>(Commit.Type, commit.Metadata.NamespaceProperty, commit.Metadata.Name, new { status }, ct, subresource: "status");
    }

    /// <summary>Creates (or adopts) the fork's Tag, with its reference; answers its object name.</summary>
    private async Task<string> EnsureTagAsync(RepositoryFork fork, Repository repository, CancellationToken ct)
    {
        var status = fork.Status!;
        var ns = fork.Metadata.NamespaceProperty;
        var name = VersNames.TagObjectName(status.RepoName!, status.TagName!);
        var reference = $"{status.RepoName}:{status.TagName}";
        var tag = caches.Tags.Get(ns, name);
        if (tag is null)
        {
            var desired = new Tag
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = ns,
                    Labels = ForkLabels(fork),
                    OwnerReferences = [KubeVirtObjects.OwnerReference(VersGroup.ApiVersion, "Repository", repository.Metadata)],
                },
                Spec = new TagSpec { Repository = status.RepoName!, Tag = status.TagName!, CommitId = status.CommitId! },

                // No status subresource on Tag: the reference goes in with the create.
                Status = new TagStatus { Reference = reference },
            };
            try
            {
                tag = await _client.CreateAsync(Tag.Type, ns, desired, ct, ForkOptions.FieldManager);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                tag = await _client.GetAsync<Tag>(Tag.Type, ns, name, ct);
            }
        }

        // An adopted Tag made without its reference (by kubectl, say) gets it through the object itself.
        if (tag.Status?.Reference != reference)
        {
            await _client.PatchAsync<Tag>(Tag.Type, ns, name, new { status = new TagStatus { Reference = reference } }, ct);
        }

        return name;
    }

    /// <summary>
    /// Waits (briefly, by the informer's event) until the Tag cache holds the Tag. The Repository controller counts
    /// tags from this same cache: a Repository marked Ready before the cache has its Tag would get its count
    /// written as 0, then 1 — two writes and a wrong count in between.
    /// </summary>
    private async Task TagCachedAsync(string ns, string name, CancellationToken ct)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = caches.Tags.AddHandler((_, tag) =>
        {
            if (tag.Metadata.Name == name && tag.Metadata.NamespaceProperty == ns)
            {
                seen.TrySetResult();
            }
        });

        // After registering: handlers run after the cache is updated, so the event is either cached already or still to come.
        if (caches.Tags.Get(ns, name) is not null)
        {
            return;
        }

        try
        {
            // Wall-clock bound, not the injected clock: a worker must never wait on a timer nobody advances.
            await seen.Task.WaitAsync(TagCacheWait, ct);
        }
        catch (TimeoutException)
        {
            // Carry on: the Repository controller corrects a count once the Tag arrives; a fork should not stall on it.
        }
    }

    private async Task MarkRepositoryReadyAsync(RepositoryFork fork, Repository repository, CancellationToken ct)
    {
        var ns = fork.Metadata.NamespaceProperty;
        var tagCount = Math.Max(1, Repositories.RepositoryTags.Of(caches.Tags, ns, repository.Spec.Name).Count);
        // The repository may be the cached (shared) object: change a copy of its status.
        var status = Copy(repository.Status) ?? new RepositoryStatus();
        var changed = status.Tags != tagCount || status.ObservedGeneration != repository.Metadata.Generation;
        status.Tags = tagCount;
        status.ForkedFrom = fork.Status!.Source;
        status.ObservedGeneration = repository.Metadata.Generation;
        status.Conditions ??= [];
        changed |= Conditions.Set(status.Conditions, new V1Condition
        {
            Type = "Ready",
            Status = Conditions.True,
            Reason = "Forked",
            Message = $"forked from {fork.Status.Source}",
            ObservedGeneration = repository.Metadata.Generation,
        }, Now());
        if (changed)
        {
            await _client.PatchAsync<Repository>(Repository.Type, ns, repository.Metadata.Name, new { status }, ct, subresource: "status");
        }
    }

    private async Task<ReconcileResult> SucceedAsync(RepositoryFork fork, CancellationToken ct)
    {
        var status = fork.Status!;
        var now = Now();
        status.Phase = ForkPhase.Succeeded;
        status.Step = Steps.Done;
        status.Reference = $"{status.RepoName}:{status.TagName}";
        status.Error = null;
        status.CompletionTime = now;
        status.ObservedGeneration = fork.Metadata.Generation;
        status.Conditions ??= [];
        Conditions.Set(status.Conditions, Condition("Ready", Conditions.True, "Succeeded", $"forked {status.Source} into {status.Reference}", fork), now);
        fork = await WriteStatusAsync(fork, ct);
        Observe("succeeded", fork);
        // No Event, as at the start: the Succeeded status and Ready=True carry it.
        logger.LogInformation(
            ForkLogEvents.Succeeded,
            "Fork {Namespace}/{Name} succeeded: {Reference}, vm {VmId}, commit {CommitId}",
            fork.Metadata.NamespaceProperty, fork.Metadata.Name, status.Reference, status.VmId, status.CommitId);
        fork = await RemoveFinalizerAsync(fork, ct);
        return await ExpireAsync(fork, ct);
    }

    /// <summary>
    /// Records the failure first (the cause may be gone after rollback), removes what the fork created,
    /// then marks it Failed. Resumable: a crash mid-rollback resumes from step RollingBack.
    /// </summary>
    private async Task FailAsync(RepositoryFork fork, string reason, string message, CancellationToken ct, bool rollback = true)
    {
        var status = fork.Status!;
        var now = Now();
        status.Error = new ForkError { Reason = reason, Message = message };
        status.ObservedGeneration = fork.Metadata.Generation;
        if (rollback)
        {
            if (status.Step != Steps.RollingBack)
            {
                status.Step = Steps.RollingBack;
                fork = await WriteStatusAsync(fork, ct);
                status = fork.Status!;
            }

            await RollbackAsync(fork, ct);
        }

        status.Phase = ForkPhase.Failed;
        status.Step = Steps.Done;
        status.CompletionTime = now;
        status.Conditions ??= [];
        Conditions.Set(status.Conditions, Condition("Ready", Conditions.False, reason, message, fork), now);
        fork = await WriteStatusAsync(fork, ct);
        Observe("failed", fork);
        logger.LogInformation(ForkLogEvents.Failed, "Fork {Namespace}/{Name} failed: {Reason}: {Message}", fork.Metadata.NamespaceProperty, fork.Metadata.Name, reason, message);
        await events.WarningAsync(fork, "ForkFailed", "Fork", $"{reason}: {message}", ct);
        if (HasFinalizer(fork))
        {
            await RemoveFinalizerAsync(fork, ct);
        }
    }

    /// <summary>Deletes everything this fork created. Idempotent; touches only objects that are provably its own.</summary>
    private async Task RollbackAsync(RepositoryFork fork, CancellationToken ct)
    {
        var status = fork.Status!;
        var ns = fork.Metadata.NamespaceProperty;
        // From the spec when the status was never written (a claim happens before the first status write).
        var repoName = status.RepoName ?? fork.Spec.RepoName ?? fork.Spec.SourceRepo;
        var tagName = status.TagName ?? fork.Spec.TagName ?? fork.Spec.SourceTag;
        if (VersNames.IsValid(repoName) && VersNames.IsValid(tagName))
        {
            var tagObjectName = VersNames.TagObjectName(repoName, tagName);
            var tag = caches.Tags.Get(ns, tagObjectName) ?? await _client.TryGetAsync<Tag>(Tag.Type, ns, tagObjectName, ct);
            if (tag is not null && IsOurs(tag, fork))
            {
                await _client.DeleteAsync(Tag.Type, ns, tagObjectName, ct);
            }
        }

        if (status.CommitId is not null)
        {
            await _client.DeleteAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, status.CommitId, ct);
            await _client.DeleteAsync(Commit.Type, ns, status.CommitId, ct);
        }

        if (status.VmId is not null)
        {
            await _client.DeleteAsync(KubeVirtTypes.VirtualMachine, ns, status.VmId, ct);
            await _client.DeleteAsync(KubeVirtTypes.VirtualMachineClone, ns, status.VmId, ct);
        }

        var dataVolumes = await _client.ListAsync<GenericObject>(
            KubeVirtTypes.DataVolume, ns, ct, labelSelector: $"{VersGroup.ForkUidLabel}={fork.Metadata.Uid}");
        foreach (var dv in dataVolumes.Items)
        {
            await _client.DeleteAsync(KubeVirtTypes.DataVolume, ns, dv.Metadata.Name, ct);
        }

        if (VersNames.IsValid(repoName))
        {
            var name = VersNames.ToObjectName(repoName);
            var repository = await _client.TryGetAsync<Repository>(Repository.Type, ns, name, ct);
            if (repository is not null && ClaimedBy(repository) == fork.Metadata.Uid)
            {
                await _client.DeleteAsync(Repository.Type, ns, name, ct, uidPrecondition: repository.Metadata.Uid);
            }
        }

        await events.NormalAsync(fork, "RolledBack", "Rollback", $"Removed what the fork had created; repository name {repoName} is free again", ct);
    }

    private async Task FinalizeAsync(RepositoryFork fork, CancellationToken ct)
    {
        if (!HasFinalizer(fork))
        {
            return;
        }

        // A finished fork's results outlive it; an unfinished one is rolled back — even before its ids
        // were recorded, since the target Repository is claimed first (rollback removes only what is provably ours).
        if (fork.Status!.Phase != ForkPhase.Succeeded)
        {
            await RollbackAsync(fork, ct);
            Observe("deleted", fork);
        }

        await RemoveFinalizerAsync(fork, ct);
    }

    /// <summary>spec.ttlSecondsAfterFinished: delete the finished RepositoryFork (never its results).</summary>
    private async Task<ReconcileResult> ExpireAsync(RepositoryFork fork, CancellationToken ct)
    {
        if (fork.Spec.TtlSecondsAfterFinished is not { } ttl || fork.Status?.CompletionTime is not { } completed)
        {
            return ReconcileResult.Done;
        }

        var remaining = DateTime.SpecifyKind(completed, DateTimeKind.Utc).AddSeconds(ttl) - Now();
        if (remaining > TimeSpan.Zero)
        {
            return ReconcileResult.After(remaining);
        }

        await _client.DeleteAsync(RepositoryFork.Type, fork.Metadata.NamespaceProperty, fork.Metadata.Name, ct, uidPrecondition: fork.Metadata.Uid);
        return ReconcileResult.Done;
    }

    private async Task<GenericObject> CreateOrAdoptAsync(ResourceType type, GenericObject desired, RepositoryFork fork, CancellationToken ct)
    {
        try
        {
            return await _client.CreateAsync(type, desired.Metadata.NamespaceProperty, desired, ct, ForkOptions.FieldManager);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // Created by an earlier pass (a retry after a crash, or the cache lagging our own write).
            var existing = await _client.GetAsync<GenericObject>(type, desired.Metadata.NamespaceProperty, desired.Metadata.Name, ct);
            if (!IsOurs(existing, fork))
            {
                throw new TerminalReconcileException($"{type.Kind} {desired.Metadata.Name} exists and belongs to someone else");
            }

            return existing;
        }
    }

    private async Task<RepositoryFork> WriteStatusAsync(RepositoryFork fork, CancellationToken ct)
    {
        // PUT carries the resourceVersion we read: a decision made on a stale copy gets 409 and is retried on fresh data.
        var replaced = await _client.ReplaceAsync(RepositoryFork.Type, fork.Metadata.NamespaceProperty, fork.Metadata.Name, fork, ct, subresource: "status");
        written.Wrote(replaced);
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
        catch (KubeApiException e) when (e.IsNotFound)
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

        var patched = await _client.PatchAsync<RepositoryFork>(
            RepositoryFork.Type, fork.Metadata.NamespaceProperty, fork.Metadata.Name, patch, ct, PatchKind.Json);
        written.Wrote(patched);
        patched.Status ??= fork.Status;
        return patched;
    }

    private static TStatus? Copy<TStatus>(TStatus? status)
        where TStatus : class =>
        status is null ? null : KubernetesJson.Deserialize<TStatus>(KubernetesJson.Serialize(status));

    private static bool HasFinalizer(RepositoryFork fork) => FinalizerPatch.Has(fork.Metadata, ForkOptions.Finalizer);

    private static Dictionary<string, string> ForkLabels(RepositoryFork fork) => new()
    {
        [VersGroup.ForkUidLabel] = fork.Metadata.Uid,
        [VersGroup.ManagedByLabel] = VersGroup.ManagedBy,
    };

    private static bool IsOurs(IKubernetesObject<V1ObjectMeta> obj, RepositoryFork fork) =>
        obj.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.ForkUidLabel, out var uid) && uid == fork.Metadata.Uid;

    private static bool HasForkLabels(GenericObject obj, RepositoryFork fork) => IsOurs(obj, fork);

    private static JsonObject ToJson(IDictionary<string, string> map)
    {
        var json = new JsonObject();
        foreach (var (key, value) in map)
        {
            json[key] = value;
        }

        return json;
    }

    /// <summary>DataVolume name for one disk of the new VM: "&lt;vmId&gt;-&lt;volume&gt;", shortened with a hash when too long.</summary>
    public static string DataVolumeName(string vmId, string volumeName)
    {
        var name = $"{vmId}-{volumeName.ToLowerInvariant()}";
        if (name.Length <= 63 && System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(volumeName)))[..16];
        return $"{vmId}-{hash}";
    }

    private ReconcileResult Deadline(IKubernetesObject<V1ObjectMeta> started, TimeSpan limit, string what)
    {
        var since = started.Metadata.CreationTimestamp is { } created ? DateTime.SpecifyKind(created, DateTimeKind.Utc) : Now();
        var remaining = since + limit - Now();
        if (remaining <= TimeSpan.Zero)
        {
            throw new DeadlineExceededException($"{what} within {limit}");
        }

        // A deadline timer, not polling: the objects' watch events wake the fork long before this.
        return ReconcileResult.After(remaining + TimeSpan.FromMilliseconds(50));
    }

    private static string ConditionMessage(JsonObject? status, string type)
    {
        var condition = (status?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        return (string?)condition?["message"] ?? (string?)condition?["reason"] ?? "no details";
    }

    private static V1Condition Condition(string type, string status, string reason, string message, RepositoryFork fork) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        ObservedGeneration = fork.Metadata.Generation,
    };

    private void Observe(string result, RepositoryFork fork)
    {
        ForksTotal.WithLabels(result).Inc();
        if (fork.Status?.StartTime is { } start)
        {
            ForkDuration.WithLabels(result).Observe(Math.Max(0, (Now() - DateTime.SpecifyKind(start, DateTimeKind.Utc)).TotalSeconds));
        }
    }

    private DateTime Now() => time.GetUtcNow().UtcDateTime;

    private static class Steps
    {
        public const string CreatingVm = "CreatingVM";
        public const string RollingBack = "RollingBack";
        public const string Done = "Done";
    }

    private readonly record struct StepState(ReconcileResult? Wait, (string Reason, string Message)? Failure)
    {
        public static StepState Done => default;

        public static StepState Waiting(ReconcileResult wait) => new(wait, null);

        public static StepState Fail(string reason, string message) => new(null, (reason, message));
    }

    private readonly record struct VmStep(GenericObject? Vm, ReconcileResult? Wait, (string Reason, string Message)? Failure)
    {
        public static VmStep Ready(GenericObject vm) => new(vm, null, null);

        public static VmStep Waiting(ReconcileResult wait) => new(null, wait, null);

        public static VmStep Fail(string reason, string message) => new(null, null, (reason, message));
    }
}

/// <summary>A step outlived its configured timeout; the fork fails with reason Timeout.</summary>
public sealed class DeadlineExceededException(string message) : Exception(message);
