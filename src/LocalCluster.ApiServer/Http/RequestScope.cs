using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Patching;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;
using Vers.LocalCluster.ApiServer.Selectors;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>
/// What one resource request addresses, and the conversions between what it serves and what is stored; the
/// counterpart of <c>handlers.RequestScope</c> (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go).
/// </summary>
internal sealed record RequestScope(ResourceType Type, string Version, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>The apiVersion this request serves objects in.</summary>
    public string ApiVersion { get; } = ResourceType.ApiVersionOf(Type.Group, Version);

    /// <summary>
    /// The subresource's own shape when it serves another kind (deployments/scale: autoscaling/v1 Scale): bodies and
    /// responses are in that kind, writes go to the resource through the view's conversion.
    /// </summary>
    public Registry.SubresourceView? View { get; } = Subresource is null ? null : Type.Strategy.View(Subresource);

    /// <summary>The kind of the request's and the response's bodies.</summary>
    public string Kind => View?.Kind ?? Type.Kind;

    /// <summary>The apiVersion of the request's and the response's bodies (<see cref="ApiVersion"/> but for a view).</summary>
    public string BodyApiVersion => View?.ApiVersion ?? ApiVersion;

    /// <summary>The version of the request's and the response's bodies.</summary>
    public string BodyVersion => View?.Version ?? Version;

    /// <summary>The namespace as the store keys it ("" for cluster-scoped resources and all-namespace requests).</summary>
    public string Ns => Namespace ?? "";

    public bool IsStatus => Subresource == "status";

    /// <summary>
    /// A stored object's JSON as the requested resource and version serve it: the stored bytes themselves when they
    /// need no change (same apiVersion, no conversion, defaults already applied), else converted through a tree.
    /// </summary>
    public byte[] OutJson(StoredObject obj) =>
        View is null && !Type.Strategy.ConvertsStorage && obj.ApiVersion == ApiVersion && !ResourceStore.NeedsReadDefaults(Type, obj)
            ? obj.Json
            : JsonSerializer.SerializeToUtf8Bytes(Out(obj.ToJsonObject()));

    /// <summary>A stored object as the requested resource and version serve it (defaults on read, cross-served kinds converted).</summary>
    public JsonObject Out(JsonObject obj)
    {
        ResourceStore.DefaultOnRead(Type, obj);
        obj = Type.Strategy.FromStorage(obj);
        obj["apiVersion"] = ApiVersion;
        return View?.FromParent(obj) ?? obj;
    }

    /// <summary>
    /// A request body in the shape it is stored in. A view's body is folded into <paramref name="current"/> (the
    /// stored object it changes, left as it is), which a write through a view must give.
    /// </summary>
    public JsonObject In(JsonObject obj, JsonObject? current = null)
    {
        if (View is not null)
        {
            var parent = Type.Strategy.FromStorage(ResourceStore.DefaultOnRead(Type, (current ?? throw new ArgumentNullException(nameof(current))).DeepClone().AsObject()));
            parent["apiVersion"] = ApiVersion;
            obj = View.ToParent(Type, obj, parent);
        }

        return Type.Strategy.ToStorage(obj);
    }

    /// <summary>
    /// The field manager of a write: the <c>fieldManager</c> parameter or the User-Agent's first segment. Kinds stored
    /// converted (events.k8s.io events are core events) have their fields untracked.
    /// </summary>
    public Action<JsonObject?, JsonObject>? Tracker(HttpContext ctx, TimeProvider time) =>
        Type.Strategy.ConvertsStorage ? null : Manager(ctx, time).Track;

    public FieldManager Manager(HttpContext ctx, TimeProvider time) =>
        new(Type, ApiVersion, FieldManager.ManagerFor(ctx.Request.Query["fieldManager"].ToString(), ctx.Request.Headers.UserAgent.ToString()), Subresource, time);

    public (LabelSelector Labels, FieldSelector Fields) Selectors(HttpContext ctx) =>
        (LabelSelector.Parse(ctx.Request.Query["labelSelector"].ToString()), FieldSelector.Parse(ctx.Request.Query["fieldSelector"].ToString(), Type));

    public Func<StoredObject, bool> Filter(LabelSelector labels, FieldSelector fields) =>
        o => (Namespace is null || o.Namespace == Namespace) && labels.Matches(o) && fields.Matches(o);

    /// <summary>The fieldValidation query parameter; the server default is Warn.</summary>
    public static FieldValidation Validation(HttpContext ctx) => ctx.Request.Query["fieldValidation"].ToString() switch
    {
        "Strict" => FieldValidation.Strict,
        "Ignore" => FieldValidation.Ignore,
        "" or "Warn" => FieldValidation.Warn,
        var other => throw ApiException.BadRequest($"fieldValidation parameter unsupported: {other}"),
    };

    public static bool DryRun(HttpContext ctx) => ctx.Request.Query["dryRun"].ToString() == "All";

    public static bool IsTrue(Microsoft.Extensions.Primitives.StringValues v) => v.ToString() is "true" or "1" or "True";

    public static void AddWarnings(HttpContext ctx, WriteResult result)
    {
        foreach (var w in result.Warnings)
        {
            ctx.Response.Headers.Append("Warning", $"299 - {StructuralSchema.Quote(w)}");
        }
    }

    /// <summary>The user a request authenticated as (set for every request before it is routed).</summary>
    public static AdmissionUser UserOf(HttpContext ctx) => ctx.Features.Get<AdmissionUser>() ?? ClusterUsers.Admin;
}
