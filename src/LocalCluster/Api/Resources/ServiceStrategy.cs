using System.Text.Json.Nodes;

namespace Vers.LocalCluster.Api.Resources;

/// <summary>
/// The Service registry's allocation and defaults, without a proxy behind them: a ClusterIP from 10.96.0.0/12 for
/// ClusterIP/NodePort/LoadBalancer services, protocol TCP and targetPort = port on ports. The IP is kept across
/// updates that omit it, as the real registry does.
/// </summary>
internal static class ServiceStrategy
{
    /// <summary>Defaults and, for types that get one, a free ClusterIP; true when an IP was allocated here.</summary>
    public static bool PrepareForCreate(JsonObject svc, IEnumerable<JsonObject> existing)
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

            return false;
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
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes back what <see cref="PrepareForCreate"/> allocated, so the next attempt allocates afresh.</summary>
    public static void ForgetAllocation(JsonObject svc)
    {
        if (svc["spec"] is JsonObject spec)
        {
            foreach (var field in (string[])["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"])
            {
                spec.Remove(field);
            }
        }
    }

    /// <summary>Allocated values survive an update that leaves them out (PUT of a manifest without clusterIP).</summary>
    public static void KeepAllocated(JsonObject updated, JsonObject current)
    {
        if (updated["spec"] is JsonObject spec && current["spec"] is JsonObject old)
        {
            foreach (var field in (string[])["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"])
            {
                if (spec[field] is null && old[field] is { } v)
                {
                    spec[field] = v.DeepClone();
                }
            }
        }
    }
}
