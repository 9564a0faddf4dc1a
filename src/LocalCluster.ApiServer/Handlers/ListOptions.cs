using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>
/// The list and watch parameters of a request (metainternalversion.ListOptions), defaulted and validated as
/// handlers/get.go <c>ListResource</c> does before it reaches storage, with the WatchList feature on (beta and
/// enabled by default in 1.32).
/// </summary>
internal sealed record ListOptions(
    bool Watch,
    string ResourceVersion,
    string ResourceVersionMatch,
    bool? SendInitialEvents,
    bool AllowWatchBookmarks,
    string Continue,
    long Limit,
    long TimeoutSeconds)
{
    public const string NotOlderThan = "NotOlderThan";
    public const string Exact = "Exact";

    /// <summary>The options of a list (<paramref name="watch"/> false) or watch request; invalid combinations are the 422 upstream answers.</summary>
    public static ListOptions From(IQueryCollection q, bool watch)
    {
        var options = new ListOptions(
            watch,
            q["resourceVersion"].ToString(),
            q["resourceVersionMatch"].ToString(),
            q.TryGetValue("sendInitialEvents", out var initial) ? Bool(initial) : null,
            Bool(q["allowWatchBookmarks"]),
            q["continue"].ToString(),
            long.TryParse(q["limit"].ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit) ? limit : 0,
            long.TryParse(q["timeoutSeconds"].ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var timeout) ? timeout : 0);
        options = options.WithDefaults();
        options.Validate();
        return options;
    }

    /// <summary>
    /// A watch-list request (get.go/cacher.go <c>isListWatchRequest</c>): initial events followed by a bookmark
    /// annotated <c>k8s.io/initial-events-end</c>.
    /// </summary>
    public bool IsWatchList => SendInitialEvents == true && AllowWatchBookmarks;

    /// <summary>
    /// The resourceVersion as a number (0 when unset or "0"); one that is not an unsigned integer fails like
    /// APIObjectVersioner.ParseResourceVersion's storage.InvalidError, which no storage error interpreter maps, so
    /// kube-apiserver answers 500 without a reason (kubernetes/kubernetes#139485).
    /// </summary>
    public long ParsedResourceVersion => ParseResourceVersion(ResourceVersion);

    public static long ParseResourceVersion(string rv)
    {
        if (rv is "" or "0")
        {
            return 0;
        }

        if (ulong.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed <= long.MaxValue)
        {
            return (long)parsed;
        }

        var reason = rv.Length > 0 && rv.All(char.IsAsciiDigit) ? "value out of range" : "invalid syntax";
        var quoted = StructuralSchema.Quote(rv);
        throw ApiException.Bare(500, "", $"resourceVersion: Invalid value: {quoted}: strconv.ParseUint: parsing {quoted}: {reason}");
    }

    /// <summary>metainternalversion.SetListOptionsDefaults: a watch from "" or "0" that chose nothing sends its initial events.</summary>
    private ListOptions WithDefaults() =>
        Watch && SendInitialEvents is null && ResourceVersionMatch.Length == 0 && ResourceVersion is "" or "0"
            ? this with { SendInitialEvents = true, ResourceVersionMatch = NotOlderThan }
            : this;

    /// <summary>ValidateListOptions (apimachinery/pkg/apis/meta/internalversion/validation/validation.go) with the WatchList feature enabled.</summary>
    private void Validate()
    {
        var errors = new List<FieldError>();
        var match = ResourceVersionMatch;
        if (Watch)
        {
            if (SendInitialEvents is not null && match != NotOlderThan)
            {
                errors.Add(Forbidden("resourceVersionMatch", $"sendInitialEvents requires setting resourceVersionMatch to {NotOlderThan}"));
            }

            if (match.Length > 0)
            {
                if (SendInitialEvents is null)
                {
                    errors.Add(Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
                }

                if (match != NotOlderThan)
                {
                    errors.Add(NotSupported("resourceVersionMatch", match, NotOlderThan));
                }

                if (Continue.Length > 0)
                {
                    errors.Add(Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
                }
            }
        }
        else
        {
            if (match.Length > 0)
            {
                if (ResourceVersion.Length == 0)
                {
                    errors.Add(Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
                }

                if (Continue.Length > 0)
                {
                    errors.Add(Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
                }

                if (match is not (Exact or NotOlderThan))
                {
                    errors.Add(NotSupported("resourceVersionMatch", match, Exact, NotOlderThan, ""));
                }

                if (match == Exact && ResourceVersion == "0")
                {
                    errors.Add(Forbidden("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
                }
            }

            if (SendInitialEvents is not null)
            {
                errors.Add(Forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
            }
        }

        if (errors.Count > 0)
        {
            throw InvalidListOptions(errors);
        }
    }

    /// <summary>
    /// errors.NewInvalid(meta.k8s.io/ListOptions, "", errs): the options have no name, so the Status details carry
    /// none (metav1.StatusDetails omits an empty name).
    /// </summary>
    private static ApiException InvalidListOptions(List<FieldError> errors)
    {
        var summary = errors.Count == 1 ? errors[0].Render() : "[" + string.Join(", ", errors.Select(e => e.Render())) + "]";
        var details = new JsonObject
        {
            ["group"] = "meta.k8s.io",
            ["kind"] = "ListOptions",
            ["causes"] = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject
            {
                ["reason"] = e.Reason,
                ["message"] = e.CauseMessage(),
                ["field"] = e.Field,
            })]),
        };
        return new ApiException(422, "Invalid", $"ListOptions.meta.k8s.io \"\" is invalid: {summary}", details);
    }

    private static FieldError Forbidden(string field, string detail) => new("FieldValueForbidden", field, detail);

    private static FieldError NotSupported(string field, string value, params string[] supported) =>
        new("FieldValueNotSupported", field, "supported values: " + string.Join(", ", supported.Select(StructuralSchema.Quote)), StructuralSchema.Quote(value));

    /// <summary>runtime.Convert_Slice_string_To_bool: any value but "0" or "false" (any case) is true.</summary>
    private static bool Bool(StringValues values) =>
        values.Count > 0 && !(values[0] == "0" || string.Equals(values[0], "false", StringComparison.OrdinalIgnoreCase));
}
