using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>
/// TokenReview, SelfSubjectReview and the SubjectAccessReview family: create-only, never stored, no resourceVersion.
/// The reply is the request with <c>status</c> filled in by the <see cref="AccessPolicy"/>; SelfSubjectReview and
/// SelfSubjectRulesReview answer with a new object, as their REST storage builds one.
/// </summary>
internal static class Reviews
{
    /// <summary>The reply to a review; self reviews ask about <paramref name="requester"/>, the user the request authenticated as (or impersonates).</summary>
    public static JsonObject Answer(ResourceType type, string version, string? ns, JsonObject body, AdmissionUser requester, AccessPolicy policy, TimeProvider time)
    {
        switch (type.Builtin)
        {
            case BuiltinKind.SelfSubjectReview:
                return SelfSubjectReview(type, version, requester, time);
            case BuiltinKind.SelfSubjectRulesReview:
                return SelfSubjectRulesReview(type, version, body, requester, policy);
        }

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

    /// <summary>
    /// pkg/registry/authentication/selfsubjectreview/rest.go <c>Create</c>: the requesting user's name, UID, groups
    /// and extra (empty ones left out, as UserInfo omits them), stamped with the time of the request.
    /// </summary>
    private static JsonObject SelfSubjectReview(ResourceType type, string version, AdmissionUser user, TimeProvider time)
    {
        var info = new JsonObject();
        if (user.Username.Length > 0)
        {
            info["username"] = user.Username;
        }

        if (user.Uid.Length > 0)
        {
            info["uid"] = user.Uid;
        }

        if (user.Groups.Count > 0)
        {
            info["groups"] = Strings(user.Groups);
        }

        if (user.Extra.Count > 0)
        {
            info["extra"] = new JsonObject(user.Extra.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Strings(kv.Value))));
        }

        return new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = ResourceType.ApiVersionOf(type.Group, version),
            ["metadata"] = new JsonObject { ["creationTimestamp"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) },
            ["status"] = new JsonObject { ["userInfo"] = info },
        };
    }

    /// <summary>
    /// pkg/registry/authorization/selfsubjectrulesreview/rest.go <c>Create</c>: 400 without <c>spec.namespace</c>, else
    /// the requester's rules there (<see cref="AccessPolicy.RulesFor"/>); the reply carries no spec.
    /// </summary>
    private static JsonObject SelfSubjectRulesReview(ResourceType type, string version, JsonObject body, AdmissionUser user, AccessPolicy policy)
    {
        var ns = body["spec"]?["namespace"]?.ToString() ?? "";
        if (ns.Length == 0)
        {
            throw ApiException.BadRequest("no namespace on request");
        }

        var (rules, incomplete) = policy.RulesFor(user.Username, user.Groups, ns);
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var r in rules)
        {
            var verbs = Strings([r.Verb ?? "*"]);
            if (r.Resource is not { } path || !path.StartsWith('/'))
            {
                resourceRules.Add(new JsonObject { ["verbs"] = verbs, ["apiGroups"] = Strings([r.Group ?? "*"]), ["resources"] = Strings([r.Resource ?? "*"]) });
            }

            // Paths are cluster-wide and outside any group: only a rule open on both applies to them.
            if ((r.Resource is null || r.Resource.StartsWith('/')) && r.Group is null && r.Namespace is null)
            {
                nonResourceRules.Add(new JsonObject { ["verbs"] = verbs.DeepClone(), ["nonResourceURLs"] = Strings([r.Resource ?? "*"]) });
            }
        }

        // RBAC's rules (rbac.go RulesFor): a rule with resources is a resource rule, one with URLs a non-resource rule.
        var (rbacRules, errors) = policy.RbacRulesFor(user.Username, user.Groups, ns);
        foreach (var r in rbacRules)
        {
            if (r.Resources.Count > 0)
            {
                var rule = new JsonObject { ["verbs"] = Strings(r.Verbs), ["apiGroups"] = Strings(r.ApiGroups), ["resources"] = Strings(r.Resources) };
                if (r.ResourceNames.Count > 0)
                {
                    rule["resourceNames"] = Strings(r.ResourceNames);
                }

                resourceRules.Add(rule);
            }

            if (r.NonResourceUrls.Count > 0)
            {
                nonResourceRules.Add(new JsonObject { ["verbs"] = Strings(r.Verbs), ["nonResourceURLs"] = Strings(r.NonResourceUrls) });
            }
        }

        var status = new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = incomplete };
        if (errors.Count > 0)
        {
            status["evaluationError"] = errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]";
        }

        return new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = ResourceType.ApiVersionOf(type.Group, version),
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = new JsonObject(),
            ["status"] = status,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
