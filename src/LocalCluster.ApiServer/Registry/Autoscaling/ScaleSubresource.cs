using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Autoscaling;

/// <summary>
/// The <c>scale</c> subresource of the replicated workloads, served as autoscaling/v1 Scale: ScaleREST of
/// pkg/registry/apps/deployment/storage/storage.go (the ReplicaSet and StatefulSet ones are the same shape).
/// spec.replicas is the object's spec.replicas, status.replicas its status.replicas, status.selector its spec.selector
/// as a selector string; a write sets spec.replicas and, for optimistic concurrency, the object's resourceVersion.
/// </summary>
internal sealed class ScaleSubresource : SubresourceView
{
    public const string SubresourceName = "scale";

    private static readonly string[] MetadataFields = ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"];

    public static ScaleSubresource Workloads { get; } = new();

    public override string Name => SubresourceName;

    public override string Group => "autoscaling";

    public override string Version => "v1";

    public override string Kind => "Scale";

    /// <summary>scaleFromDeployment, in autoscaling/v1's JSON (spec.replicas omitted when 0, status.replicas always).</summary>
    public override JsonObject FromParent(JsonObject parent)
    {
        var meta = Meta.Of(parent);
        var scaleMeta = new JsonObject();
        foreach (var field in MetadataFields)
        {
            if (meta[field] is { } value)
            {
                scaleMeta[field] = value.DeepClone();
            }
        }

        var spec = new JsonObject();
        if (FieldErrors.Int(parent["spec"]?["replicas"]) is { } replicas and not 0)
        {
            spec["replicas"] = replicas;
        }

        var status = new JsonObject { ["replicas"] = FieldErrors.Int(parent["status"]?["replicas"]) ?? 0 };
        if (LabelSelectors.ToText(parent["spec"]?["selector"]) is { Length: > 0 } selector)
        {
            status["selector"] = selector;
        }

        return new JsonObject
        {
            ["kind"] = Kind,
            ["apiVersion"] = ApiVersion,
            ["metadata"] = scaleMeta,
            ["spec"] = spec,
            ["status"] = status,
        };
    }

    /// <summary>
    /// scaleUpdatedObjectInfo.UpdatedObject: the Scale decoded, ValidateScale (422 on kind Scale), the UID
    /// precondition (409 on <c>deployments/scale</c>), then spec.replicas and the resourceVersion moved to the object
    /// (a stale resourceVersion is the store's 409).
    /// </summary>
    public override JsonObject ToParent(ResourceType type, JsonObject view, JsonObject parent)
    {
        var name = Meta.Name(parent);
        TypeChecks.Int32(Kind, Version, view["spec"]?["replicas"], "ScaleSpec", "spec.replicas");

        // pkg/apis/autoscaling/validation ValidateScale: ValidateObjectMeta (the name is what a PUT can leave out), replicas ≥ 0.
        var errors = new List<FieldError>();
        if (string.IsNullOrEmpty(Meta.Str(view, "name")))
        {
            errors.Add(FieldErrors.Required("metadata.name", "name or generateName is required"));
        }

        var replicas = FieldErrors.Int(view["spec"]?["replicas"]) ?? 0;
        errors.AddRange(FieldErrors.NonNegative(replicas, "spec.replicas"));
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(Kind, Group, name, errors);
        }

        var uid = Meta.Str(view, "uid");
        if (!string.IsNullOrEmpty(uid) && uid != Meta.Str(parent, "uid"))
        {
            throw ApiException.Conflict(new ResourceName(type.Group, $"{type.Plural}/{Name}"), name,
                $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Meta.Str(parent, "uid")}");
        }

        if (parent["spec"] is not JsonObject spec)
        {
            spec = new JsonObject();
            parent["spec"] = spec;
        }

        spec["replicas"] = replicas;
        var meta = Meta.Of(parent);
        meta.Remove("resourceVersion");
        if (Meta.Str(view, "resourceVersion") is { Length: > 0 } rv)
        {
            meta["resourceVersion"] = rv;
        }

        return parent;
    }
}
