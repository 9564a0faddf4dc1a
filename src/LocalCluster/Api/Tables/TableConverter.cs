using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Resources;

namespace Vers.LocalCluster.Api.Tables;

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
                new Column("Last Seen", "string", "", "Time when this Event was last seen", 0, o => Age(Str(o["lastTimestamp"]) ?? Str(o["eventTime"]) ?? Meta.Str(o, "creationTimestamp"))),
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
            BuiltinKind.CustomResourceDefinition => [name, new Column("Created At", "date", "", AgeDescription, 0, o => Meta.Str(o, "creationTimestamp"))],
            _ => CustomColumns(type, version, name, age),
        };
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

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Count(JsonNode? node) => node switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };
}
