using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Plays virt-controller's VM status logic (pkg/virt-controller/watch/vm): printableStatus, created, ready,
/// the Ready condition and volumeSnapshotStatuses, from the run strategy and the VM's DataVolumes. No VMI
/// is simulated: a started VM goes Starting → Running after the injected VirtualMachine delay, and straight to
/// Running when there is none (a Starting that would last no time is not written).
/// </summary>
internal sealed class VirtualMachineReconciler : IReconciler<GenericObject>
{
    public const string Kind = "VirtualMachine";

    private readonly SimulatorContext _ctx;

    // When each VM was first seen starting, held only while it is Starting; lost on restart, which simply lets a
    // Starting VM become Running.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _startingSince = new(StringComparer.Ordinal);

    public VirtualMachineReconciler(SimulatorContext ctx)
    {
        _ctx = ctx;
        ctx.VirtualMachines.AddHandler((type, vm) =>
        {
            if (type == WatchEventType.Deleted) _startingSince.TryRemove(vm.Metadata.Uid, out _);
        });
    }

    public async Task<ReconcileResult> ReconcileAsync(GenericObject vm, CancellationToken ct)
    {
        vm = _ctx.Newest(KubeVirtTypes.VirtualMachine, vm);
        if (vm.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;

        var status = vm.Status;
        var spec = vm.Spec;
        var runStrategy = (string?)spec?["runStrategy"] ?? ((bool?)spec?["running"] == true ? "Always" : "Halted");
        var runs = runStrategy is "Always" or "RerunOnFailure" or "Once";
        var volumes = (spec?["template"]?["spec"]?["volumes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        await EnsureTemplateDataVolumesAsync(vm, ct).ConfigureAwait(false);

        string printable;
        RequeueOrDone result = default;
        // Each phase read once: a cached object parses its fields on every read. Null: the DataVolume is missing.
        var phases = volumes.Select(v => (string?)v["dataVolume"]?["name"]).Where(n => n is not null)
            .Select(n => _ctx.Get(KubeVirtTypes.DataVolume, vm.Metadata.NamespaceProperty, n!) is { } dv ? (string?)dv.Status?["phase"] ?? "" : null)
            .ToList();
        if (phases.Contains("Failed"))
        {
            printable = "DataVolumeError";
        }
        else if (phases.Any(phase => phase != "Succeeded"))
        {
            printable = "Provisioning";
        }
        else if (!runs)
        {
            printable = "Stopped";
        }
        else
        {
            var current = (string?)status?["printableStatus"];
            if (current == "Running" || _ctx.Options.DelayFor(Kind) <= TimeSpan.Zero)
            {
                printable = "Running";
            }
            else
            {
                var since = _startingSince.GetOrAdd(vm.Metadata.Uid, _ => _ctx.Time.GetUtcNow());
                var left = since + _ctx.Options.DelayFor(Kind) - _ctx.Time.GetUtcNow();
                if (current == "Starting" && left <= TimeSpan.Zero)
                {
                    printable = "Running";
                }
                else
                {
                    printable = "Starting";
                    // Writing Starting brings us back through the watch; only a pending delay needs a timer.
                    if (current == "Starting") result = new RequeueOrDone(left);
                }
            }
        }

        var ready = printable == "Running";
        var readyCondition = ready
            ? _ctx.Condition(status, "Ready", true, null, "")
            : _ctx.Condition(status, "Ready", false, printable == "Starting" ? "PodNotExists" : "VMINotExists",
                printable == "Starting" ? "virt-launcher pod has not yet been scheduled" : "VMI does not exist");
        await _ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachine, vm, new JsonObject
        {
            ["printableStatus"] = printable,
            ["created"] = printable is "Starting" or "Running",
            ["ready"] = ready,
            ["runStrategy"] = runStrategy,
            ["conditions"] = new JsonArray(readyCondition),
            ["volumeSnapshotStatuses"] = new JsonArray([.. volumes.Select(VolumeSnapshotStatus)]),
        }, ct).ConfigureAwait(false);
        // After the write: had it failed, the retry must still find when the VM started.
        if (printable != "Starting") _startingSince.TryRemove(vm.Metadata.Uid, out _);
        return result.Delay is { } delay && delay > TimeSpan.Zero ? ReconcileResult.After(delay) : ReconcileResult.Done;
    }

    /// <summary>virt-controller creates the DataVolumes of <c>spec.dataVolumeTemplates</c>, owned by the VM.</summary>
    private async Task EnsureTemplateDataVolumesAsync(GenericObject vm, CancellationToken ct)
    {
        if (vm.Spec?["dataVolumeTemplates"] is not JsonArray templates) return;
        var ns = vm.Metadata.NamespaceProperty;
        foreach (var template in templates.OfType<JsonObject>())
        {
            var name = (string?)template["metadata"]?["name"];
            if (name is null || _ctx.Get(KubeVirtTypes.DataVolume, ns, name) is not null) continue;
            var metadata = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(vm)),
            };
            if (template["metadata"]?["labels"] is JsonObject labels) metadata["labels"] = labels.DeepClone();
            if (template["metadata"]?["annotations"] is JsonObject annotations) metadata["annotations"] = annotations.DeepClone();
            await _ctx.CreateOrGetAsync(KubeVirtTypes.DataVolume, new JsonObject
            {
                ["apiVersion"] = KubeVirtObjectBuilder.DataVolumeApiVersion,
                ["kind"] = "DataVolume",
                ["metadata"] = metadata,
                ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
            }, ct).ConfigureAwait(false);
        }
    }

    private static JsonNode VolumeSnapshotStatus(JsonObject volume)
    {
        var name = (string?)volume["name"];
        if (volume["dataVolume"] is not null || volume["persistentVolumeClaim"] is not null)
            return new JsonObject { ["name"] = name, ["enabled"] = true };
        var sourceType = volume.Select(p => p.Key).FirstOrDefault(k => k != "name") ?? "unknown";
        return new JsonObject
        {
            ["name"] = name,
            ["enabled"] = false,
            ["reason"] = $"Snapshot is not supported for this volumeSource type [{sourceType}]",
        };
    }

    private readonly record struct RequeueOrDone(TimeSpan? Delay);
}
