using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Resources;

/// <summary>
/// events.k8s.io/v1 ⇄ core v1 Event, as the real server converts them (pkg/apis/events/v1/conversion.go): both APIs
/// serve one storage, kept in the core shape, so <c>kubectl get events</c> and <c>kubectl describe</c> (core v1)
/// show what an operator records through events.k8s.io/v1.
/// </summary>
internal static class EventConversion
{
    /// <summary>(events.k8s.io/v1 field, core v1 field); everything else (metadata, reason, type, action, eventTime,
    /// series, related, reportingInstance) has the same name in both.</summary>
    private static readonly (string EventsV1, string Core)[] Renamed =
    [
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    public static JsonObject ToCore(JsonObject ev) => Rename(ev, toCore: true, "v1");

    public static JsonObject FromCore(JsonObject core) => Rename(core, toCore: false, "events.k8s.io/v1");

    private static JsonObject Rename(JsonObject source, bool toCore, string apiVersion)
    {
        var result = new JsonObject();
        foreach (var (key, value) in source)
        {
            var mapped = Renamed.FirstOrDefault(r => (toCore ? r.EventsV1 : r.Core) == key);
            var target = mapped == default ? key : toCore ? mapped.Core : mapped.EventsV1;
            result[target] = value?.DeepClone();
        }

        result["apiVersion"] = apiVersion;
        return result;
    }

    /// <summary>The extra rules of an events.k8s.io/v1 create (ValidateEventCreate for the new API).</summary>
    public static void ValidateCreate(JsonObject ev)
    {
        var errors = new List<FieldError>();
        foreach (var field in (string[])["eventTime", "reportingController", "reportingInstance", "action"])
        {
            if (ev[field] is not JsonValue v || v.ToString().Length == 0)
            {
                errors.Add(new FieldError("FieldValueRequired", field, ""));
            }
        }

        if (ev["type"] is JsonValue t && t.ToString() is not ("Normal" or "Warning"))
        {
            errors.Add(new FieldError("FieldValueNotSupported", "type", "supported values: \"Normal\", \"Warning\"", $"\"{t}\""));
        }

        if (ev["note"] is JsonValue n && n.ToString().Length > 1024)
        {
            errors.Add(new FieldError("FieldValueTooLong", "note", "may not be more than 1024 bytes"));
        }

        if (errors.Count > 0)
        {
            throw ApiException.Invalid("Event", "events.k8s.io", Meta.Name(ev), errors);
        }
    }
}
