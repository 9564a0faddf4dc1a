using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Events;

/// <summary>
/// pkg/apis/core/validation/events.go legacyValidateEvent, which every Event create and update passes (the core v1
/// API stops there): the involved object's namespace matches the event's; an event with an eventTime names its
/// reporting controller (a qualified name), instance, action and reason, within the length limits.
/// </summary>
internal static class EventValidation
{
    private const int ReportingInstanceLengthLimit = 128;
    private const int ActionLengthLimit = 128;
    private const int ReasonLengthLimit = 128;
    private const int NoteLengthLimit = 1024;

    /// <param name="core">The request came through the core v1 API (the field is then called reportingComponent).</param>
    public static List<FieldError> Legacy(JsonObject ev, bool core)
    {
        var errors = new List<FieldError>();
        var ns = Meta.Namespace(ev);
        var involvedNs = ev["involvedObject"]?["namespace"]?.ToString() ?? "";
        var mismatch = ObjectMetaRules.Invalid("involvedObject.namespace", involvedNs, "does not match event.namespace");
        if (Str(ev, "eventTime").Length == 0)
        {
            // Old clients: an event about a cluster-scoped object may be in "default".
            if (involvedNs.Length == 0 ? ns is not ("" or "default") : ns != involvedNs)
            {
                errors.Add(mismatch);
            }
        }
        else
        {
            if (involvedNs.Length == 0 && ns is not ("default" or "kube-system"))
            {
                errors.Add(mismatch);
            }

            var controllerField = core ? "reportingComponent" : "reportingController";
            var controller = Str(ev, "reportingComponent");
            if (controller.Length == 0)
            {
                errors.Add(new FieldError("FieldValueRequired", controllerField, ""));
            }

            errors.AddRange(QualifiedNames.IsQualifiedName(controller).Select(m => ObjectMetaRules.Invalid(controllerField, controller, m)));
            Bounded(ev, "reportingInstance", ReportingInstanceLengthLimit, required: true, errors);
            Bounded(ev, "action", ActionLengthLimit, required: true, errors);
            Bounded(ev, "reason", ReasonLengthLimit, required: true, errors);
            Bounded(ev, "message", NoteLengthLimit, required: false, errors);
        }

        return errors;
    }

    /// <summary>Required and at most <paramref name="limit"/> characters; the value is not echoed ("").</summary>
    private static void Bounded(JsonObject ev, string field, int limit, bool required, List<FieldError> errors)
    {
        var value = Str(ev, field);
        if (required && value.Length == 0)
        {
            errors.Add(new FieldError("FieldValueRequired", field, ""));
        }

        if (System.Text.Encoding.UTF8.GetByteCount(value) > limit)
        {
            errors.Add(new FieldError("FieldValueInvalid", field, $"can have at most {limit} characters", "\"\""));
        }
    }

    private static string Str(JsonObject o, string key) => o[key]?.ToString() ?? "";
}
