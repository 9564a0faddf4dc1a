using System.Text.Json.Nodes;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// Whether the VM of a source commit can live in another organisation's namespace. A cross-organisation fork copies
/// the commit's disks and the VM's spec, nothing else; whatever else the spec names by namespace-local reference
/// (Secrets and ConfigMaps of cloud-init, sysprep, access credentials and volumes; ServiceAccounts; namespaced
/// instancetypes and preferences; PVCs the snapshot did not back up) would resolve in the target namespace to nothing,
/// or to another tenant's object of that name, and a Multus network written <c>namespace/name</c> would point into the
/// source tenant's namespace. Copying another tenant's Secrets would leak them, so such a fork is refused before
/// anything is created, naming every reference. Cluster-scoped references (cluster instancetypes and preferences) and
/// volumes KubeVirt never snapshots but that carry no reference (containerDisk, emptyDisk, cloud-init inline data,
/// downwardAPI) are fine.
/// </summary>
public static class Portability
{
    /// <summary>The references that keep <paramref name="content"/>'s VM from moving into <paramref name="targetNamespace"/>; empty when none.</summary>
    public static IReadOnlyList<string> Problems(JsonObject content, string targetNamespace)
    {
        var problems = new List<string>();
        var vm = content["source"]?["virtualMachine"] as JsonObject;
        var spec = vm?["spec"] as JsonObject;
        var template = spec?["template"]?["spec"] as JsonObject;
        var backedUp = (content["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(b => b["volumeSnapshotName"] is not null)
            .Select(b => (string?)b["volumeName"])
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

        foreach (var volume in (template?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = (string?)volume["name"] ?? "?";
            if (volume["dataVolume"] is JsonObject dv && !backedUp.Contains(name))
            {
                problems.Add($"DataVolume {(string?)dv["name"]} (volume {name}), which the source snapshot did not back up");
            }

            if (volume["persistentVolumeClaim"] is JsonObject pvc && !backedUp.Contains(name))
            {
                problems.Add($"PersistentVolumeClaim {(string?)pvc["claimName"]} (volume {name}), which the source snapshot did not back up");
            }

            if (volume["ephemeral"] is not null)
            {
                problems.Add($"an ephemeral PersistentVolumeClaim (volume {name})");
            }

            if (volume["memoryDump"] is JsonObject dump)
            {
                problems.Add($"PersistentVolumeClaim {(string?)dump["claimName"]} (volume {name}, memoryDump)");
            }

            if (volume["secret"] is JsonObject secret)
            {
                problems.Add($"Secret {(string?)secret["secretName"]} (volume {name})");
            }

            if (volume["configMap"] is JsonObject configMap)
            {
                problems.Add($"ConfigMap {(string?)configMap["name"]} (volume {name})");
            }

            if (volume["serviceAccount"] is JsonObject account && (string?)account["serviceAccountName"] is { } accountName && accountName != "default")
            {
                problems.Add($"ServiceAccount {accountName} (volume {name})");
            }

            foreach (var cloudInit in (string[])["cloudInitNoCloud", "cloudInitConfigDrive"])
            {
                if (volume[cloudInit] is JsonObject init)
                {
                    AddRef(problems, init["secretRef"], "Secret", $"volume {name}, {cloudInit}.secretRef");
                    AddRef(problems, init["networkDataSecretRef"], "Secret", $"volume {name}, {cloudInit}.networkDataSecretRef");
                }
            }

            if (volume["sysprep"] is JsonObject sysprep)
            {
                AddRef(problems, sysprep["secret"], "Secret", $"volume {name}, sysprep.secret");
                AddRef(problems, sysprep["configMap"], "ConfigMap", $"volume {name}, sysprep.configMap");
            }
        }

        foreach (var credential in (template?["accessCredentials"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var kind in (string[])["sshPublicKey", "userPassword"])
            {
                if ((string?)credential[kind]?["source"]?["secret"]?["secretName"] is { } secretName)
                {
                    problems.Add($"Secret {secretName} (accessCredentials {kind})");
                }
            }
        }

        foreach (var network in (template?["networks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((string?)network["multus"]?["networkName"] is { } networkName && networkName.Split('/') is [var ns, var nad] && ns != targetNamespace)
            {
                problems.Add($"NetworkAttachmentDefinition {ns}/{nad} (network {(string?)network["name"]}), in another namespace");
            }
        }

        foreach (var (field, clusterKind) in (ReadOnlySpan<(string, string)>)[("instancetype", "VirtualMachineClusterInstancetype"), ("preference", "VirtualMachineClusterPreference")])
        {
            if (spec?[field] is JsonObject matcher && ((string?)matcher["kind"] ?? clusterKind) is { } kind
                && !kind.Equals(clusterKind, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{kind} {(string?)matcher["name"]} (spec.{field}), a namespaced kind");
            }
        }

        return problems;
    }

    private static void AddRef(List<string> problems, JsonNode? reference, string kind, string where)
    {
        if ((string?)reference?["name"] is { } name)
        {
            problems.Add($"{kind} {name} ({where})");
        }
    }
}
