using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry.Core;

/// <summary>
/// pkg/apis/core/validation ValidateService (ports, selector, session affinity, type, the ClusterIP fields of
/// ValidateServiceClusterIPsRelatedFields) and ValidateServiceUpdate's validateUpgradeDowngradeClusterIPs.
/// Not covered: LoadBalancer-only fields, externalIPs, ipFamilies dual-stack rules, traffic policies.
/// </summary>
internal static partial class ServiceValidation
{
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    private static readonly string[] Affinities = ["ClientIP", "None"];

    public static List<FieldError> Validate(JsonObject svc)
    {
        var errors = ObjectMetaRules.ValidateCore(svc);
        var spec = svc["spec"] as JsonObject ?? [];
        var type = Str(spec, "type");
        var ports = (spec["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (ports.Count == 0 && !IsHeadless(spec) && type != "ExternalName")
        {
            errors.Add(Required("spec.ports"));
        }

        if (type == "ExternalName")
        {
            if (ClusterIPs(spec).Count > 0)
            {
                errors.Add(new FieldError("FieldValueForbidden", "spec.clusterIPs", "may not be set for ExternalName services"));
            }

            // The CNAME may end in a dot (fully qualified).
            var cname = Str(spec, "externalName").TrimEnd('.');
            errors.AddRange(cname.Length > 0 ? NameRules.Subdomain(cname, "spec.externalName") : [Required("spec.externalName")]);
        }

        var names = new HashSet<string>();
        for (var i = 0; i < ports.Count; i++)
        {
            Port(ports[i], ports.Count > 1, names, $"spec.ports[{i}]", errors);
        }

        if (spec["selector"] is JsonObject selector)
        {
            ObjectMetaRules.Labels(selector, "spec.selector", errors);
        }

        var affinity = Str(spec, "sessionAffinity");
        if (affinity.Length == 0)
        {
            errors.Add(Required("spec.sessionAffinity"));
        }
        else if (!Affinities.Contains(affinity))
        {
            errors.Add(NotSupported("spec.sessionAffinity", affinity, Affinities));
        }
        else if (affinity == "None" && spec["sessionAffinityConfig"] is not null)
        {
            errors.Add(new FieldError("FieldValueForbidden", "spec.sessionAffinityConfig", "must not be set when session affinity is None"));
        }

        if (type != "ExternalName")
        {
            ClusterIPFields(spec, errors);
        }

        if (type.Length == 0)
        {
            errors.Add(Required("spec.type"));
        }
        else if (!Types.Contains(type))
        {
            errors.Add(NotSupported("spec.type", type, Types));
        }

        var seen = new HashSet<(string, long)>();
        for (var i = 0; i < ports.Count; i++)
        {
            if (type == "ClusterIP" && Int(ports[i]["nodePort"]) is not (null or 0))
            {
                errors.Add(new FieldError("FieldValueForbidden", $"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"));
            }

            var key = (Str(ports[i], "protocol"), Int(ports[i]["port"]) ?? 0);
            if (!seen.Add(key))
            {
                // The duplicate is printed as the internal struct of just (protocol, port), with Go's %#v.
                errors.Add(new FieldError("FieldValueDuplicate", $"spec.ports[{i}]", "",
                    $"core.ServicePort{{Name:\"\", Protocol:{Q(key.Item1)}, AppProtocol:(*string)(nil), Port:{key.Item2}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"));
            }
        }

        return errors;
    }

    /// <summary>validateUpgradeDowngradeClusterIPs: the primary ClusterIP is kept for the service's life.</summary>
    public static void ClusterIPsUnchanged(JsonObject updated, JsonObject old, List<FieldError> errors)
    {
        var spec = updated["spec"] as JsonObject ?? [];
        var oldSpec = old["spec"] as JsonObject ?? [];
        if (Str(spec, "type") == "ExternalName" || Str(oldSpec, "type") == "ExternalName" || (IsHeadless(spec) && IsHeadless(oldSpec)))
        {
            return;
        }

        var now = ClusterIPs(spec);
        var before = ClusterIPs(oldSpec);
        var value = "[]string{" + string.Join(", ", now.Select(Q)) + "}";
        if (now.Count == before.Count)
        {
            for (var i = 0; i < before.Count; i++)
            {
                if (before[i] != now[i])
                {
                    errors.Add(new FieldError("FieldValueInvalid", $"spec.clusterIPs[{i}]", "may not change once set", value));
                }
            }
        }
        else if (now.Count == 0)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.clusterIPs[0]", "primary clusterIP can not be unset", value));
        }
        else if (before.Count > 0 && now[0] != before[0])
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.clusterIPs[0]", "may not change once set", value));
        }
    }

    private static void Port(JsonObject port, bool requireName, HashSet<string> names, string path, List<FieldError> errors)
    {
        var name = Str(port, "name");
        if (requireName && name.Length == 0)
        {
            errors.Add(Required(path + ".name"));
        }
        else if (name.Length > 0)
        {
            errors.AddRange(NameRules.Label(name, path + ".name"));
            if (!names.Add(name))
            {
                errors.Add(new FieldError("FieldValueDuplicate", path + ".name", "", Q(name)));
            }
        }

        var number = Int(port["port"]) ?? 0;
        if (number is < 1 or > 65535)
        {
            errors.Add(new FieldError("FieldValueInvalid", path + ".port", "must be between 1 and 65535, inclusive", number.ToString(CultureInfo.InvariantCulture)));
        }

        var protocol = Str(port, "protocol");
        if (protocol.Length == 0)
        {
            errors.Add(Required(path + ".protocol"));
        }
        else if (!Protocols.Contains(protocol))
        {
            errors.Add(NotSupported(path + ".protocol", protocol, Protocols));
        }

        switch (port["targetPort"])
        {
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var portName = v.ToString();
                errors.AddRange(PortName(portName).Select(m => ObjectMetaRules.Invalid(path + ".targetPort", portName, m)));
                break;
            case JsonValue v when Int(v) is { } target and (< 1 or > 65535):
                errors.Add(new FieldError("FieldValueInvalid", path + ".targetPort", "must be between 1 and 65535, inclusive", target.ToString(CultureInfo.InvariantCulture)));
                break;
        }
    }

    /// <summary>validation.IsValidPortName (IANA_SVC_NAME).</summary>
    private static IEnumerable<string> PortName(string port)
    {
        if (port.Length > 15)
        {
            yield return "must be no more than 15 characters";
        }

        if (!PortNameCharset().IsMatch(port))
        {
            yield return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
        }

        if (!port.Any(char.IsAsciiLetterLower))
        {
            yield return "must contain at least one letter (a-z)";
        }

        if (port.Contains("--", StringComparison.Ordinal))
        {
            yield return "must not contain consecutive hyphens";
        }

        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            yield return "must not begin or end with a hyphen";
        }
    }

    /// <summary>ValidateServiceClusterIPsRelatedFields: clusterIP and clusterIPs agree, and hold IPs (or "None" alone).</summary>
    private static void ClusterIPFields(JsonObject spec, List<FieldError> errors)
    {
        var ips = ClusterIPs(spec);
        var list = "[]string{" + string.Join(", ", ips.Select(Q)) + "}";
        var clusterIP = Str(spec, "clusterIP");
        if (clusterIP.Length > 0 && ips.Count == 0)
        {
            errors.Add(Required("spec.clusterIPs"));
        }
        else if (clusterIP.Length > 0 && ips[0] != clusterIP)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.clusterIPs", "first value must match `clusterIP`", list));
        }
        else if (clusterIP.Length == 0 && ips.Count > 0)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.clusterIPs", "must be empty when `clusterIP` is not specified", list));
        }

        for (var i = 0; i < ips.Count; i++)
        {
            if (i == 0 && ips[0] == "None")
            {
                if (ips.Count > 1)
                {
                    errors.Add(new FieldError("FieldValueInvalid", "spec.clusterIPs", "'None' must be the first and only value", list));
                }
            }
            else if (!IPAddress.TryParse(ips[i], out _) || ips[i].Contains('%', StringComparison.Ordinal))
            {
                errors.Add(ObjectMetaRules.Invalid($"spec.clusterIPs[{i}]", ips[i], "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
            }
        }

        if (ips.Count > 2)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.clusterIPs", "may only hold up to 2 values", list));
        }
    }

    public static bool IsHeadless(JsonObject spec) => ClusterIPs(spec) is [ "None" ];

    public static List<string> ClusterIPs(JsonObject spec) => [.. (spec["clusterIPs"] as JsonArray ?? []).Select(n => n?.ToString() ?? "")];

    private static string Str(JsonObject o, string key) => o[key]?.ToString() ?? "";

    private static long? Int(JsonNode? n) => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && long.TryParse(v.ToJsonString(), out var i) ? i : null;

    private static FieldError Required(string path) => new("FieldValueRequired", path, "");

    private static FieldError NotSupported(string path, string value, string[] supported) =>
        new("FieldValueNotSupported", path, "supported values: " + string.Join(", ", supported.Select(Q)), Q(value));

    private static string Q(string s) => StructuralSchema.Quote(s);

    [GeneratedRegex("^[-a-z0-9]+$")]
    private static partial Regex PortNameCharset();
}
