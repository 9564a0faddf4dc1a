using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Admission;
using Vers.LocalCluster.Api.Resources;

namespace Vers.LocalCluster.Api.Http;

/// <summary>
/// TokenReview and the SubjectAccessReview family: create-only, never stored, no resourceVersion. The reply is the
/// request with <c>status</c> filled in by the <see cref="AccessPolicy"/>.
/// </summary>
internal static class Reviews
{
    /// <summary>The reply to a review; self reviews ask about <paramref name="requester"/>, the user the request authenticated as.</summary>
    public static JsonObject Answer(ResourceType type, string version, string? ns, JsonObject body, AdmissionUser requester, AccessPolicy policy)
    {
        var reply = body.DeepClone().AsObject();
        reply["apiVersion"] = ResourceType.ApiVersionOf(type.Group, version);
        reply["kind"] = type.Kind;
        reply["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        var spec = reply["spec"] as JsonObject ?? throw ApiException.Invalid(type.Kind, type.Group, "", [new FieldError("FieldValueRequired", "spec", "")]);
        reply["status"] = type.Builtin == BuiltinKind.TokenReview ? TokenStatus(spec, policy) : AccessStatus(type, ns, spec, requester, policy);
        return reply;
    }

    private static JsonObject TokenStatus(JsonObject spec, AccessPolicy policy)
    {
        var token = spec["token"]?.ToString() ?? "";
        if (policy.Authenticate(token) is not { } user)
        {
            return new JsonObject { ["authenticated"] = false, ["user"] = new JsonObject(), ["error"] = "invalid bearer token" };
        }

        var status = new JsonObject
        {
            ["authenticated"] = true,
            ["user"] = new JsonObject
            {
                ["username"] = user.Username,
                ["uid"] = user.Uid,
                ["groups"] = new JsonArray([.. (user.Groups ?? ["system:authenticated"]).Select(g => (JsonNode)JsonValue.Create(g))]),
            },
        };
        if (spec["audiences"] is JsonArray audiences)
        {
            status["audiences"] = audiences.DeepClone();
        }

        return status;
    }

    private static JsonObject AccessStatus(ResourceType type, string? ns, JsonObject spec, AdmissionUser requester, AccessPolicy policy)
    {
        var attributes = spec["resourceAttributes"] as JsonObject;
        var nonResource = spec["nonResourceAttributes"] as JsonObject;
        if ((attributes is null) == (nonResource is null))
        {
            throw ApiException.Invalid(type.Kind, type.Group, "", [new FieldError("FieldValueRequired", "spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        }

        string user;
        List<string> groups;
        if (type.Builtin == BuiltinKind.SelfSubjectAccessReview)
        {
            user = requester.Username;
            groups = [.. requester.Groups];
        }
        else
        {
            user = spec["user"]?.ToString() ?? "";
            groups = [.. (spec["groups"] as JsonArray ?? []).Select(g => g?.ToString()).OfType<string>()];
            if (user.Length == 0 && groups.Count == 0)
            {
                throw ApiException.Invalid(type.Kind, type.Group, "", [new FieldError("FieldValueInvalid", "spec.user", "at least one of user or group must be specified", "\"\"")]);
            }
        }

        var attrNs = attributes?["namespace"]?.ToString() ?? "";
        if (type.Builtin == BuiltinKind.LocalSubjectAccessReview && attributes is not null && attrNs != ns)
        {
            throw ApiException.BadRequest($"spec.resourceAttributes.namespace must match namespace: {ns}");
        }

        var resource = attributes?["resource"]?.ToString() ?? nonResource?["path"]?.ToString() ?? "";
        if (attributes?["subresource"]?.ToString() is { Length: > 0 } sub)
        {
            resource += "/" + sub;
        }

        var request = new AccessRequest(user, groups, (attributes ?? nonResource)!["verb"]?.ToString() ?? "",
            attributes?["group"]?.ToString() ?? "", resource, attrNs, attributes?["name"]?.ToString() ?? "");
        var (allowed, denied, reason) = policy.Authorize(request);
        var status = new JsonObject { ["allowed"] = allowed, ["reason"] = reason };
        if (denied)
        {
            status["denied"] = true;
        }

        return status;
    }
}
