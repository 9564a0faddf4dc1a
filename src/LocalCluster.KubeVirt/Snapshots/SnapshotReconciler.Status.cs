using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.LocalCluster.KubeVirt.Snapshots;

// The snapshot's status as snapshot.go updateSnapshotStatus writes it: phase, conditions, snapshotVolumes and the
// indications (Online, NoGuestAgent, PartialSnapshot).
internal sealed partial class SnapshotReconciler
{
    /// <summary>snapshot.go <c>updateSnapshotStatus</c>.</summary>
    private async Task WriteStatusAsync(GenericObject snapshot, GenericObject? vm, GenericObject? content, string? lockMessage, CancellationToken ct)
    {
        var current = snapshot.Status;
        var contentStatus = content?.Status;
        var created = (string?)contentStatus?["creationTime"] ?? (string?)current?["creationTime"];
        var ready = (bool?)contentStatus?["readyToUse"] == true;
        var status = new JsonObject
        {
            ["readyToUse"] = ready,
            ["sourceUID"] = vm?.Metadata.Uid ?? (string?)current?["sourceUID"],
        };
        if (content is not null && contentStatus is not null)
        {
            status["virtualMachineSnapshotContentName"] = content.Metadata.Name;
            status["creationTime"] = created;
            status["error"] = contentStatus["error"]?.DeepClone();
        }

        string progressing;
        bool progressingStatus;
        if ((string?)current?["phase"] == "Succeeded" || created is not null)
        {
            status["phase"] = "Succeeded";
            (progressingStatus, progressing) = (false, "Operation complete");
            SetSnapshotVolumes(status, content);
        }
        else
        {
            status["phase"] = "InProgress";
            (progressingStatus, progressing) = vm is null ? (false, "Source does not exist")
                : lockMessage == SnapshotKeys.SourceLocked || (content is not null && lockMessage is null) ? (true, SnapshotKeys.SourceLocked)
                : (false, lockMessage ?? SnapshotKeys.SourceNotLocked);
            if (vm is not null)
            {
                SetOnlineIndications(status, vm, current);
            }
        }

        if (status["error"] is not null)
        {
            (progressingStatus, progressing) = (false, "In error state");
        }

        status["conditions"] = new JsonArray(
            ctx.Condition(current, "Progressing", progressingStatus, progressing),
            ctx.Condition(current, "Ready", ready, ready ? "Ready" : "Not ready"));
        CarryIndications(status, current);
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, status, ct);
    }

    /// <summary>snapshot.go <c>updateSnapshotSnapshotableVolumes</c>: every VM volume is included or excluded; PartialSnapshot when a storage-backed one is excluded.</summary>
    private static void SetSnapshotVolumes(JsonObject status, GenericObject? content)
    {
        if (content?.Spec is not { } spec)
        {
            return;
        }

        var included = (spec["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>().Select(b => (string?)b["volumeName"]).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var volumes = (spec["source"]?["virtualMachine"]?["spec"]?["template"]?["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var excluded = volumes.Where(v => !included.Contains((string?)v["name"] ?? "")).ToList();
        status["snapshotVolumes"] = new JsonObject
        {
            ["includedVolumes"] = new JsonArray([.. volumes.Select(v => (string?)v["name"]).Where(included.Contains!).Select(n => (JsonNode)n!)]),
            ["excludedVolumes"] = new JsonArray([.. excluded.Select(v => (JsonNode)(string)v["name"]!)]),
        };
        if (excluded.Any(v => v["persistentVolumeClaim"] is not null || v["dataVolume"] is not null || v["memoryDump"] is not null))
        {
            status["partialSnapshot"] = true;
        }
    }

    /// <summary>Online (the VM runs) and NoGuestAgent (none here): set while in progress, kept afterwards.</summary>
    private static void SetOnlineIndications(JsonObject status, GenericObject vm, JsonObject? current)
    {
        if (current?["sourceIndications"] is not null)
        {
            return;
        }

        var online = (string?)vm.Status?["printableStatus"] is "Running" or "Starting";
        status["onlineIndications"] = online;
    }

    /// <summary>Folds the markers above into <c>indications</c> and <c>sourceIndications</c> (both kept in step, as upstream does).</summary>
    private static void CarryIndications(JsonObject status, JsonObject? current)
    {
        var names = ((current?["indications"] as JsonArray) ?? []).Select(i => (string?)i).OfType<string>().ToList();
        if (status["onlineIndications"]?.GetValue<bool>() == true)
        {
            names.AddRange(["Online", "NoGuestAgent"]);
        }

        if (status["partialSnapshot"]?.GetValue<bool>() == true)
        {
            names.Add("PartialSnapshot");
        }

        status.Remove("onlineIndications");
        status.Remove("partialSnapshot");
        names = [.. names.Distinct(StringComparer.Ordinal)];
        if (names.Count == 0)
        {
            return;
        }

        status["indications"] = new JsonArray([.. names.Select(n => (JsonNode)n)]);
        status["sourceIndications"] = new JsonArray([.. names.Select(n => (JsonNode)new JsonObject
        {
            ["indication"] = n,
            ["message"] = SnapshotKeys.IndicationMessages.GetValueOrDefault(n, "Unknown indication"),
        })]);
    }
}
