using System.Text.Json.Nodes;

using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Resources;
using Vers.LocalCluster.Api.Storage;

namespace Vers.LocalCluster.Api.Registry.Core;

/// <summary>
/// The Service registry's allocation and defaults, without a proxy behind them: a ClusterIP from 10.96.0.0/12 for
/// ClusterIP/NodePort/LoadBalancer services, protocol TCP and targetPort = port on ports. The IP is kept across
/// updates that omit it, as the real registry does.
/// </summary>
internal sealed class ServiceStrategy : ResourceStrategy
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

    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => KeepAllocated(updated, old);

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

        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        if (spec["ports"] is JsonArray ports)
        {
            foreach (var port in ports.OfType<JsonObject>())
            {
                port["protocol"] ??= "TCP";
                port["targetPort"] ??= port["port"]?.DeepClone();
            }
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
