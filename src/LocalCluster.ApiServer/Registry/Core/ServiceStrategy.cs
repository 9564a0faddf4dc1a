using System.Text.Json.Nodes;

using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Registry.Core;

/// <summary>
/// The Service registry's allocation and defaults, without a proxy behind them: a ClusterIP from 10.96.0.0/12 for
/// ClusterIP/NodePort/LoadBalancer services, and pkg/apis/core/v1/defaults.go SetDefaults_Service (type ClusterIP,
/// sessionAffinity None, protocol TCP and targetPort = port on ports, internalTrafficPolicy Cluster). The IP is kept
/// across updates that omit it and clusterIPs follows a changed clusterIP (pkg/registry/core/service/storage
/// patchAllocatedValues, normalizeClusterIPs), so validation (<see cref="ServiceValidation"/>) sees the change.
/// </summary>
internal sealed class ServiceStrategy() : TypedStrategy(typeof(k8s.Models.V1Service))
{
    private static readonly string[] AllocatedFields = ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"];

    /// <summary>Service names are DNS-1035 labels (ValidateServiceName): they become DNS names and env variables.</summary>
    public override IEnumerable<FieldError> ValidateName(string name) => NameRules.Dns1035Label(name, "metadata.name");

    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        // The ClusterIP is picked from the services stored now; the commit checks no service created since took it.
        var services = ctx.Objects.List(ctx.Type);
        return Allocate(obj, services) is { } ip ? new ClusterIpReservation(ctx.Type, ip) : null;
    }

    protected override void Default(ResourceType type, JsonObject svc)
    {
        if (svc["spec"] is not JsonObject spec)
        {
            spec = new JsonObject();
            svc["spec"] = spec;
        }

        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        if (spec["type"]?.ToString() != "ExternalName")
        {
            spec["internalTrafficPolicy"] ??= "Cluster";
        }

        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            if (port["targetPort"] is null || port["targetPort"]!.ToJsonString() is "0" or "\"\"")
            {
                port["targetPort"] = port["port"]?.DeepClone();
            }
        }
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ServiceValidation.Validate(obj);

    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        KeepAllocated(updated, old);
        if (updated["spec"] is JsonObject spec && old["spec"] is JsonObject oldSpec)
        {
            // A client that changed only clusterIP means clusterIPs too (validation then refuses the change).
            var ip = spec["clusterIP"]?.ToString() ?? "";
            if (ip.Length > 0 && ip != (oldSpec["clusterIP"]?.ToString() ?? "") && JsonNode.DeepEquals(spec["clusterIPs"], oldSpec["clusterIPs"]))
            {
                spec["clusterIPs"] = new JsonArray(ip);
            }
        }
    }

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        if (ctx.IsStatus)
        {
            // ValidateServiceStatusUpdate: the spec is the stored one.
            return ObjectMetaRules.ValidateCore(updated);
        }

        var errors = new List<FieldError>();
        ServiceValidation.ClusterIPsUnchanged(updated, old, errors);
        errors.AddRange(ServiceValidation.Validate(updated));
        return errors;
    }

    /// <summary>
    /// The ClusterIP a create allocated from the services it saw; a stored service holding it now was created since
    /// (spec.clusterIP is immutable), so the create allocates again.
    /// </summary>
    private sealed class ClusterIpReservation(ResourceType type, string ip) : CreateReservation
    {
        public override bool IsTaken(Func<ResourceType, IEnumerable<StoredObject>> stored) =>
            stored(type).Any(s => s.ToJsonObject()["spec"]?["clusterIP"]?.ToString() == ip);

        public override void Release(JsonObject obj) => ForgetAllocation(obj);
    }

    /// <summary>Defaults and, for types that get one, a free ClusterIP; the IP when one was allocated here.</summary>
    private static string? Allocate(JsonObject svc, IEnumerable<JsonObject> existing)
    {
        if (svc["spec"] is not JsonObject spec)
        {
            spec = new JsonObject();
            svc["spec"] = spec;
        }

        if (spec["type"]?.ToString() == "ExternalName" || spec["clusterIP"] is not null)
        {
            if (spec["clusterIP"]?.ToString() is { } given && spec["clusterIPs"] is null)
            {
                spec["clusterIPs"] = new JsonArray(given);
            }

            return null;
        }

        var used = existing.Select(s => s["spec"]?["clusterIP"]?.ToString()).OfType<string>().ToHashSet();
        for (var n = 1; n < 1 << 20; n++)
        {
            var ip = $"10.{96 + (n >> 16)}.{(n >> 8) & 0xFF}.{n & 0xFF}";
            if ((n & 0xFF) != 0 && !used.Contains(ip))
            {
                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
                spec["ipFamilies"] = new JsonArray("IPv4");
                spec["ipFamilyPolicy"] = "SingleStack";
                return ip;
            }
        }

        return null;
    }

    /// <summary>Takes back what <see cref="PrepareForCreate"/> allocated, so the next attempt allocates afresh.</summary>
    private static void ForgetAllocation(JsonObject svc)
    {
        if (svc["spec"] is JsonObject spec)
        {
            foreach (var field in AllocatedFields)
            {
                spec.Remove(field);
            }
        }
    }

    /// <summary>Allocated values survive an update that leaves them out (PUT of a manifest without clusterIP).</summary>
    private static void KeepAllocated(JsonObject updated, JsonObject current)
    {
        if (updated["spec"] is JsonObject spec && current["spec"] is JsonObject old)
        {
            foreach (var field in AllocatedFields)
            {
                if (spec[field] is null && old[field] is { } v)
                {
                    spec[field] = v.DeepClone();
                }
            }
        }
    }
}
