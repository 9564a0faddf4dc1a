using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Plays virt-controller's VM status logic (pkg/virt-controller/watch/vm): printableStatus, created, ready,
/// the Ready condition and volumeSnapshotStatuses, from the run strategy and the VM's DataVolumes. No VMI
/// is simulated: a started VM goes Starting → Running (after the injected VirtualMachine delay).
/// </summary>
internal sealed class VirtualMachineReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "VirtualMachine";

    // When each VM was seen Starting; lost on restart, which simply lets a Starting VM become Running.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _startingSince = new(StringComparer.Ordinal);

    public async Task<ReconcileResult> ReconcileAsync(GenericObject vm, CancellationToken ct)
    {
        if (vm.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;

        var status = vm.Status;
        var spec = vm.Spec;
        var runStrategy = (string?)spec?["runStrategy"] ?? ((bool?)spec?["running"] == true ? "Always" : "Halted");
        var runs = runStrategy is "Always" or "RerunOnFailure" or "Once";
        var volumes = (spec?["template"]?["spec"]?["volumes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        await EnsureTemplateDataVolumesAsync(vm, ct).ConfigureAwait(false);

        string printable;
        RequeueOrDone result = default;
        var dataVolumes = volumes.Select(v => (string?)v["dataVolume"]?["name"]).Where(n => n is not null)
            .Select(n => ctx.DataVolumes.Get(vm.Metadata.NamespaceProperty, n!)).ToList();
        if (dataVolumes.Any(dv => (string?)dv?.Status?["phase"] == "Failed"))
        {
            printable = "DataVolumeError";
        }
        else if (dataVolumes.Any(dv => dv is null || (string?)dv.Status?["phase"] != "Succeeded"))
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
            var since = _startingSince.GetOrAdd(vm.Metadata.Uid, _ => ctx.Time.GetUtcNow());
            var left = since + ctx.Options.DelayFor(Kind) - ctx.Time.GetUtcNow();
            if (current == "Running" || (current == "Starting" && left <= TimeSpan.Zero))
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
        if (printable != "Starting" && printable != "Running") _startingSince.TryRemove(vm.Metadata.Uid, out _);

        var ready = printable == "Running";
        var readyCondition = ready
            ? ctx.Condition(status, "Ready", true, null, "")
            : ctx.Condition(status, "Ready", false, printable == "Starting" ? "PodNotExists" : "VMINotExists",
                printable == "Starting" ? "virt-launcher pod has not yet been scheduled" : "VMI does not exist");
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachine, vm, new JsonObject
        {
            ["printableStatus"] = printable,
            ["created"] = printable is "Starting" or "Running",
            ["ready"] = ready,
            ["runStrategy"] = runStrategy,
            ["conditions"] = new JsonArray(readyCondition),
            ["volumeSnapshotStatuses"] = new JsonArray([.. volumes.Select(VolumeSnapshotStatus)]),
        }, ct).ConfigureAwait(false);
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
            if (name is null || ctx.DataVolumes.Get(ns, name) is not null) continue;
            var metadata = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(vm)),
            };
            if (template["metadata"]?["labels"] is JsonObject labels) metadata["labels"] = labels.DeepClone();
            if (template["metadata"]?["annotations"] is JsonObject annotations) metadata["annotations"] = annotations.DeepClone();
            await ctx.CreateOrGetAsync(KubeVirtTypes.DataVolume, new JsonObject
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
