using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Registry.Volumes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Tables;

/// <summary>Server-side printing (meta.k8s.io/v1 Table), like the apiserver's printers and CRD table convertor.</summary>
internal sealed class TableConverter(TimeProvider time)
{
    private sealed record Column(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, JsonNode?> Cell);

    public JsonObject Convert(ResourceType type, string version, IEnumerable<JsonObject> items, string includeObject, JsonObject listMetadata)
    {
        var columns = Columns(type, version);
        var rows = new JsonArray();
        foreach (var item in items)
        {
            var row = new JsonObject { ["cells"] = new JsonArray([.. columns.Select(c => c.Cell(item))]) };
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = item.DeepClone();
                    break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = item["metadata"]?.DeepClone() ?? new JsonObject(),
                    };
                    break;
            }

            rows.Add(row);
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMetadata,
            ["columnDefinitions"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            })]),
            ["rows"] = rows,
        };
    }

    private const string NameDescription = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
    private const string AgeDescription = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    private List<Column> Columns(ResourceType type, string version)
    {
        var name = new Column("Name", "string", "name", NameDescription, 0, o => Meta.Name(o));
        var age = new Column("Age", "string", "", AgeDescription, 0, o => Age(Meta.Str(o, "creationTimestamp")));
        return type.Builtin switch
        {
            BuiltinKind.Namespace => [name, new Column("Status", "string", "", "The status of the namespace", 0, o => Str(o["status"]?["phase"])), age],
            BuiltinKind.ConfigMap => [name, new Column("Data", "string", "", "Data contains the configuration data.", 0, o => Count(o["data"]) + Count(o["binaryData"])), age],
            BuiltinKind.Secret => [name, new Column("Type", "string", "", "The type of the secret", 0, o => Str(o["type"])), new Column("Data", "string", "", "The number of entries in the secret", 0, o => Count(o["data"])), age],
            BuiltinKind.ServiceAccount => [name, new Column("Secrets", "string", "", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", 0, o => Count(o["secrets"])), age],
            BuiltinKind.Lease => [name, new Column("Holder", "string", "", "The holder of the lease.", 0, o => Str(o["spec"]?["holderIdentity"])), age],
            BuiltinKind.CoreEvent =>
            [
                new Column("Last Seen", "string", "", "Time when this Event was last seen", 0, o => Age(Str(o["series"]?["lastObservedTime"]) ?? Str(o["lastTimestamp"]) ?? Str(o["eventTime"]) ?? Meta.Str(o, "creationTimestamp"))),
                new Column("Type", "string", "", "Type of this event (Normal, Warning), new types could be added in the future.", 0, o => Str(o["type"])),
                new Column("Reason", "string", "", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", 0, o => Str(o["reason"])),
                new Column("Object", "string", "", "The object that this event is about.", 0, o => $"{Str(o["involvedObject"]?["kind"])?.ToLowerInvariant()}/{Str(o["involvedObject"]?["name"])}"),
                new Column("Message", "string", "", "A human-readable description of the status of this operation.", 0, o => Str(o["message"])),
            ],
            BuiltinKind.EventsV1Event =>
            [
                new Column("Last Seen", "string", "", "Time when this Event was last seen", 0, o => Age(Str(o["deprecatedLastTimestamp"]) ?? Str(o["eventTime"]) ?? Meta.Str(o, "creationTimestamp"))),
                new Column("Type", "string", "", "Type of this event (Normal, Warning).", 0, o => Str(o["type"])),
                new Column("Reason", "string", "", "Why the action was taken.", 0, o => Str(o["reason"])),
                new Column("Object", "string", "", "The object this Event is about.", 0, o => $"{Str(o["regarding"]?["kind"])?.ToLowerInvariant()}/{Str(o["regarding"]?["name"])}"),
                new Column("Message", "string", "", "A human-readable description of the status of this operation.", 0, o => Str(o["note"])),
            ],
            BuiltinKind.CustomResourceDefinition or BuiltinKind.Role or BuiltinKind.ClusterRole =>
                [name, new Column("Created At", "date", "", AgeDescription, 0, o => Meta.Str(o, "creationTimestamp"))],
            BuiltinKind.Service =>
            [
                name,
                new Column("Type", "string", "", "The type of service.", 0, o => Str(o["spec"]?["type"])),
                new Column("Cluster-IP", "string", "", "The cluster ip of the service.", 0, o => Str(o["spec"]?["clusterIP"]) ?? "<none>"),
                new Column("External-IP", "string", "", "The external ip of the service.", 0, o => ExternalIps(o)),
                new Column("Port(s)", "string", "", "The ports of the service.", 0, o => ServicePorts(o)),
                age,
                new Column("Selector", "string", "", "The label selector of the service.", 1, o => Selector(o["spec"]?["selector"])),
            ],
            BuiltinKind.Deployment =>
            [
                name,
                new Column("Ready", "string", "", "Number of the pod with ready state", 0, o => $"{Long(o["status"]?["readyReplicas"])}/{Long(o["spec"]?["replicas"], 1)}"),
                new Column("Up-to-date", "integer", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0, o => Long(o["status"]?["updatedReplicas"])),
                new Column("Available", "integer", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0, o => Long(o["status"]?["availableReplicas"])),
                age,
                new Column("Containers", "string", "", "Names of each container in the template.", 1, o => Join(o["spec"]?["template"]?["spec"]?["containers"], "name")),
                new Column("Images", "string", "", "Images referenced by each container in the template.", 1, o => Join(o["spec"]?["template"]?["spec"]?["containers"], "image")),
                new Column("Selector", "string", "", "Label selector for pods.", 1, o => Selector(o["spec"]?["selector"]?["matchLabels"])),
            ],
            BuiltinKind.PodDisruptionBudget =>
            [
                name,
                new Column("Min Available", "string", "", "The minimum number of pods that must be available.", 0, o => Text(o["spec"]?["minAvailable"]) ?? "N/A"),
                new Column("Max Unavailable", "string", "", "The maximum number of pods that may be unavailable.", 0, o => Text(o["spec"]?["maxUnavailable"]) ?? "N/A"),
                new Column("Allowed Disruptions", "integer", "", "Calculated number of pods that may be disrupted at this time.", 0, o => Long(o["status"]?["disruptionsAllowed"])),
                age,
            ],
            BuiltinKind.NetworkPolicy =>
            [
                name,
                new Column("Pod-Selector", "string", "", "Selects the pods to which this NetworkPolicy object applies.", 0, o => Selector(o["spec"]?["podSelector"]?["matchLabels"]) is { Length: > 0 } sel ? sel : "<none>"),
                age,
            ],
            BuiltinKind.RoleBinding or BuiltinKind.ClusterRoleBinding =>
            [
                name,
                new Column("Role", "string", "", "Role is the role being bound.", 0, o => $"{Str(o["roleRef"]?["kind"])}/{Str(o["roleRef"]?["name"])}"),
                age,
                new Column("Users", "string", "", "Users in the binding.", 1, o => Subjects(o, "User")),
                new Column("Groups", "string", "", "Groups in the binding.", 1, o => Subjects(o, "Group")),
                new Column("ServiceAccounts", "string", "", "ServiceAccounts in the binding.", 1, o => Subjects(o, "ServiceAccount")),
            ],
            // pkg/printers/internalversion/printers.go: printPersistentVolumeClaim, printPersistentVolume, printStorageClass.
            BuiltinKind.PersistentVolumeClaim =>
            [
                name,
                new Column("Status", "string", "", "phase represents the current phase of PersistentVolumeClaim.", 0, o => Terminating(o) ?? Str(o["status"]?["phase"]) ?? ""),
                new Column("Volume", "string", "", "volumeName is the binding reference to the PersistentVolume backing this claim.", 0, o => Str(o["spec"]?["volumeName"]) ?? ""),
                new Column("Capacity", "string", "", "capacity represents the actual resources of the underlying volume.", 0, o => Bound(o) ? Quantities.Text(o["status"]?["capacity"]?["storage"]) : ""),
                new Column("Access Modes", "string", "", "accessModes contains the actual access modes the volume backing the PVC has.", 0, o => Bound(o) ? AccessModes(o["status"]?["accessModes"]) : ""),
                new Column("StorageClass", "string", "", "StorageClass of the pvc", 0, o => ClassOf(o)),
                new Column("VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pvc", 0, o => Str(o["spec"]?["volumeAttributesClassName"]) ?? "<unset>"),
                age,
                new Column("VolumeMode", "string", "", "volumeMode defines what type of volume is required by the claim.", 1, o => Str(o["spec"]?["volumeMode"]) ?? "<unset>"),
            ],
            BuiltinKind.PersistentVolume =>
            [
                name,
                new Column("Capacity", "string", "", "capacity is the description of the persistent volume's resources and capacity.", 0, o => Quantities.Text(o["spec"]?["capacity"]?["storage"])),
                new Column("Access Modes", "string", "", "accessModes contains all ways the volume can be mounted.", 0, o => AccessModes(o["spec"]?["accessModes"])),
                new Column("Reclaim Policy", "string", "", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", 0, o => Str(o["spec"]?["persistentVolumeReclaimPolicy"]) ?? ""),
                new Column("Status", "string", "", "phase indicates if a volume is available, bound to a claim, or released by a claim.", 0, o => Terminating(o) ?? Str(o["status"]?["phase"]) ?? ""),
                new Column("Claim", "string", "", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", 0, o => o["spec"]?["claimRef"] is JsonObject claim ? $"{Str(claim["namespace"])}/{Str(claim["name"])}" : ""),
                new Column("StorageClass", "string", "", "StorageClass of the pv", 0, o => ClassOf(o)),
                new Column("VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pv", 0, o => Str(o["spec"]?["volumeAttributesClassName"]) ?? "<unset>"),
                new Column("Reason", "string", "", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", 0, o => Str(o["status"]?["reason"]) ?? ""),
                age,
                new Column("VolumeMode", "string", "", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1, o => Str(o["spec"]?["volumeMode"]) ?? "<unset>"),
            ],
            BuiltinKind.StorageClass =>
            [
                name with { Cell = o => StorageClassStrategy.IsDefaultClass(o) ? $"{Meta.Name(o)} (default)" : Meta.Name(o) },
                new Column("Provisioner", "string", "", "provisioner indicates the type of the provisioner.", 0, o => Str(o["provisioner"]) ?? ""),
                new Column("ReclaimPolicy", "string", "", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.", 0, o => Str(o["reclaimPolicy"]) ?? "Delete"),
                new Column("VolumeBindingMode", "string", "", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.", 0, o => Str(o["volumeBindingMode"]) ?? "Immediate"),
                new Column("AllowVolumeExpansion", "string", "", "allowVolumeExpansion shows whether the storage class allow volume expand.", 0, o => o["allowVolumeExpansion"] is JsonValue v && v.TryGetValue<bool>(out var b) && b),
                age,
            ],
            _ => CustomColumns(type, version, name, age),
        };
    }

    private static string? Terminating(JsonObject o) => Meta.IsTerminating(o) ? "Terminating" : null;

    /// <summary>A claim shows capacity and access modes once it names a volume.</summary>
    private static bool Bound(JsonObject pvc) => !string.IsNullOrEmpty(Str(pvc["spec"]?["volumeName"]));

    /// <summary>helper.GetPersistentVolume(Claim)Class: the beta annotation first, then spec.storageClassName.</summary>
    private static string ClassOf(JsonObject o) =>
        Str(o["metadata"]?["annotations"]?[VolumeRules.BetaStorageClassAnnotation]) ?? Str(o["spec"]?["storageClassName"]) ?? "";

    /// <summary>helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each once.</summary>
    private static string AccessModes(JsonNode? modes)
    {
        var set = (modes as JsonArray ?? []).Select(Str).ToHashSet();
        return string.Join(",", new[] { ("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP") }
            .Where(m => set.Contains(m.Item1)).Select(m => m.Item2));
    }

    private List<Column> CustomColumns(ResourceType type, string version, Column name, Column age)
    {
        var printer = type.Version(version)?.PrinterColumns ?? [];
        if (printer.Count == 0)
        {
            return [name, age with { Type = "date" }];
        }

        return [name, .. printer.Select(p => new Column(p.Name, p.Type, p.Format ?? "", p.Description, p.Priority, o => CustomCell(o, p)))];
    }

    private JsonNode? CustomCell(JsonObject obj, PrinterColumn column)
    {
        var results = JsonPathEvaluator.Evaluate(obj, column.JsonPath);
        if (results.Count == 0 || results[0] is null)
        {
            return null;
        }

        var value = results[0]!;
        switch (column.Type)
        {
            case "date":
                return Age(JsonPathEvaluator.Text(value));
            case "integer" when value is JsonValue v && v.TryGetValue<double>(out var d):
                return (long)d;
            case "number" when value is JsonValue v && v.TryGetValue<double>(out var d):
                return d;
            case "boolean" when value is JsonValue v && v.TryGetValue<bool>(out var b):
                return b;
            case "string":
                return JsonPathEvaluator.Text(value);
            default:
                return value.DeepClone();
        }
    }

    private JsonNode? Age(string? timestamp)
    {
        if (timestamp is null || !DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return "<unknown>";
        }

        return HumanDuration.Format(time.GetUtcNow() - t);
    }

    private static string ExternalIps(JsonObject o)
    {
        var ips = (o["spec"]?["externalIPs"] as JsonArray ?? []).Select(i => i?.ToString()).OfType<string>()
            .Concat((o["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => i?["ip"]?.ToString() ?? i?["hostname"]?.ToString()).OfType<string>())
            .ToList();
        if (ips.Count > 0)
        {
            return string.Join(",", ips);
        }

        return Str(o["spec"]?["type"]) switch
        {
            "LoadBalancer" => "<pending>",
            "ExternalName" => Str(o["spec"]?["externalName"]) ?? "<none>",
            _ => "<none>",
        };
    }

    private static string ServicePorts(JsonObject o)
    {
        var ports = (o["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(p => p["nodePort"] is { } np ? $"{p["port"]}:{np}/{Str(p["protocol"]) ?? "TCP"}" : $"{p["port"]}/{Str(p["protocol"]) ?? "TCP"}")
            .ToList();
        return ports.Count == 0 ? "<none>" : string.Join(",", ports);
    }

    private static string Selector(JsonNode? labels) =>
        labels is JsonObject m && m.Count > 0 ? string.Join(",", m.Select(kv => $"{kv.Key}={kv.Value}")) : "";

    private static string Join(JsonNode? list, string field) =>
        string.Join(",", (list as JsonArray ?? []).Select(i => i?[field]?.ToString()).OfType<string>());

    private static string Subjects(JsonObject o, string kind) =>
        string.Join(", ", (o["subjects"] as JsonArray ?? []).OfType<JsonObject>().Where(s => Str(s["kind"]) == kind)
            .Select(s => kind == "ServiceAccount" ? $"{Str(s["namespace"])}/{Str(s["name"])}" : Str(s["name"])));

    private static string? Text(JsonNode? node) => node is JsonValue v ? v.ToString() : null;

    private static long Long(JsonNode? node, long fallback = 0) =>
        node is JsonValue v && long.TryParse(v.ToString(), System.Globalization.NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : fallback;

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Count(JsonNode? node) => node switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };
}
