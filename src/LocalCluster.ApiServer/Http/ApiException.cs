using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>An error that the HTTP layer renders as a metav1.Status body.</summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    /// <summary>The Status carries no <c>details</c> (and no <c>reason</c> when it is empty), as errors built without them serialize.</summary>
    private bool IsBare { get; init; }

    /// <summary>Sent as the <c>Retry-After</c> header (429).</summary>
    public int? RetryAfterSeconds { get; private init; }

    public JsonObject ToStatus() => IsBare
        ? StatusBody.Bare(Code, Reason, Message)
        : StatusBody.Failure(Code, Reason, Message, Details?.DeepClone().AsObject());

    /// <summary>An error whose Status has only a message, a code and (when not empty) a reason, e.g. a webhook's denial.</summary>
    public static ApiException Bare(int code, string reason, string message) => new(code, reason, message) { IsBare = true };

    /// <summary>
    /// 401 for a request whose credentials authenticate no one: <c>apierrors.NewUnauthorized("Unauthorized")</c>, as
    /// the <c>Unauthorized</c> handler in staging/src/k8s.io/apiserver/pkg/endpoints/filters/authentication.go answers.
    /// </summary>
    public static ApiException Unauthorized() => Bare(401, "Unauthorized", "Unauthorized");

    public static ApiException NotFound(ResourceName r, string name) =>
        new(404, "NotFound", $"{r.Qualified} \"{name}\" not found", r.Details(name));

    public static ApiException NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });

    public static ApiException UnknownPath() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static ApiException AlreadyExists(ResourceName r, string name) =>
        new(409, "AlreadyExists", $"{r.Qualified} \"{name}\" already exists", r.Details(name));

    public static ApiException Conflict(ResourceName r, string name, string detail = "the object has been modified; please apply your changes to the latest version and try again") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {r.Qualified} \"{name}\": {detail}", r.Details(name));

    /// <summary>Server-side apply field conflicts (apimachinery's <c>NewApplyConflict</c>: details carry only the causes).</summary>
    public static ApiException ApplyConflict(string message, IEnumerable<JsonObject> causes) =>
        new(409, "Conflict", message, new JsonObject { ["causes"] = new JsonArray([.. causes]) });

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string verbDescription = "the server does not allow this method on the requested resource") =>
        new(405, "MethodNotAllowed", verbDescription, new JsonObject());

    public static ApiException Forbidden(ResourceName r, string name, string message) =>
        new(403, "Forbidden", message, r.Details(name));

    public static ApiException UnsupportedMediaType(IEnumerable<string> supported) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", supported)}", new JsonObject());

    public static ApiException TooManyRequests(int retryAfterSeconds) =>
        new(429, "TooManyRequests", "Too many requests, please try again later.", new JsonObject { ["retryAfterSeconds"] = retryAfterSeconds }) { RetryAfterSeconds = retryAfterSeconds };

    public static ApiException InternalError(string cause) =>
        new(500, "InternalError", $"Internal error occurred: {cause}", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = cause }) });

    /// <summary>
    /// 500 ServerTimeout, as the registry answers when storage cannot be reached (apiserver pkg/storage/errors/storage.go
    /// <c>InterpretCreateError</c> and its siblings: <c>errors.NewServerTimeout(resource, operation, 2)</c>), with the
    /// two-second retry hint sent as <c>Retry-After</c> too (responsewriters <c>ErrorNegotiated</c>).
    /// </summary>
    public static ApiException ServerTimeout(ResourceName r, string operation, int retryAfterSeconds = 2)
    {
        var details = r.Details(operation);
        details["retryAfterSeconds"] = retryAfterSeconds;
        return new(500, "ServerTimeout", $"The {operation} operation against {r.Qualified} could not be completed at this time, please try again.", details)
        {
            RetryAfterSeconds = retryAfterSeconds,
        };
    }

    /// <summary>410 Expired as <c>errors.NewResourceExpired</c> builds it: a message and no details.</summary>
    public static ApiException Gone(string message) => Bare(410, "Expired", message);

    /// <summary>
    /// 504 for a read at a resourceVersion the server has not reached within its wait
    /// (staging/src/k8s.io/apiserver/pkg/storage/errors.go <c>NewTooLargeResourceVersionError</c>, with the watch
    /// cache's one-second retry hint, sent as <c>Retry-After</c> too).
    /// </summary>
    public static ApiException TooLargeResourceVersion(long minimum, long current) =>
        new(504, "Timeout", $"Timeout: Too large resource version: {minimum}, current: {current}", new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
            ["retryAfterSeconds"] = 1,
        }) { RetryAfterSeconds = 1 };

    /// <summary>422 Invalid with the apiserver's aggregated message format.</summary>
    public static ApiException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> causes)
    {
        var qualifiedKind = group.Length == 0 ? kind : $"{kind}.{group}";
        var summary = causes.Count == 1
            ? causes[0].Render()
            : "[" + string.Join(", ", causes.Select(c => c.Render())) + "]";
        var details = new JsonObject
        {
            ["name"] = name,
            ["group"] = group,
            ["kind"] = kind,
            ["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
            {
                ["reason"] = c.Reason,
                ["message"] = c.CauseMessage(),
                ["field"] = c.Field,
            }).ToArray()),
        };
        return new ApiException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {summary}", details);
    }
}

/// <summary>One field-level validation error (apimachinery field.Error).</summary>
internal sealed record FieldError(string Reason, string Field, string Detail, string? BadValue = null)
{
    private string Prefix => Reason switch
    {
        "FieldValueRequired" => "Required value",
        "FieldValueNotSupported" => $"Unsupported value: {BadValue}",
        "FieldValueForbidden" => "Forbidden",
        "FieldValueTypeInvalid" => $"Invalid value: {BadValue}",
        "FieldValueDuplicate" => $"Duplicate value: {BadValue}",
        "FieldValueTooLong" => "Too long",
        "FieldValueTooMany" => "Too many",
        _ => BadValue is null ? "Invalid value" : $"Invalid value: {BadValue}",
    };

    public string CauseMessage() => Detail.Length == 0 ? Prefix : $"{Prefix}: {Detail}";

    public string Render() => $"{Field}: {CauseMessage()}";
}
