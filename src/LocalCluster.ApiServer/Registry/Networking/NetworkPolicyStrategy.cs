using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry.Core;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Networking;

/// <summary>
/// pkg/registry/networking/networkpolicy/strategy.go with ValidateNetworkPolicySpec
/// (pkg/apis/networking/validation/validation.go): valid pod and peer selectors, ports in range or port names, endPort
/// rules, one kind of peer, an ipBlock CIDR, policyTypes Ingress/Egress; generation bumped on spec changes.
/// spec.podSelector is a Go struct, so decoding gives a policy without one the empty selector (all pods).
/// </summary>
internal sealed class NetworkPolicyStrategy() : TypedStrategy(typeof(k8s.Models.V1NetworkPolicy))
{
    public override bool TracksGeneration => true;

    protected override void Default(ResourceType type, JsonObject obj)
    {
        // Types were checked by the typed decode (TypedStrategy); a missing podSelector reads as the empty one.
        if (obj["spec"] is not JsonObject spec)
        {
            spec = new JsonObject();
            obj["spec"] = spec;
        }

        spec["podSelector"] ??= new JsonObject();
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => Spec(obj["spec"]);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => Spec(updated["spec"]);

    private static readonly (string Rules, string Peers)[] Directions = [("ingress", "from"), ("egress", "to")];

    /// <summary>ValidateNetworkPolicySpec.</summary>
    private static List<FieldError> Spec(JsonNode? spec)
    {
        var errors = new List<FieldError>(LabelSelectors.Validate(spec?["podSelector"], "spec.podSelector"));
        foreach (var (rules, peers) in Directions)
        {
            foreach (var (i, rule) in FieldErrors.Items(spec?[rules]))
            {
                var at = $"spec.{rules}[{i}]";
                foreach (var (j, port) in FieldErrors.Items(rule["ports"]))
                {
                    errors.AddRange(Port(port, $"{at}.ports[{j}]"));
                }

                foreach (var (j, peer) in FieldErrors.Items(rule[peers]))
                {
                    errors.AddRange(Peer(peer, $"{at}.{peers}[{j}]"));
                }
            }
        }

        if (spec?["policyTypes"] is JsonArray types)
        {
            if (types.Count > 2)
            {
                errors.Add(FieldErrors.Invalid("spec.policyTypes", "[]networking.PolicyType{" + string.Join(", ", types.Select(t => GoValues.Quote(FieldErrors.Str(t) ?? ""))) + "}",
                    "may not specify more than two policyTypes"));
                return errors;
            }

            foreach (var (i, type) in types.Select((t, i) => (i, FieldErrors.Str(t) ?? "")))
            {
                if (type is not ("Ingress" or "Egress"))
                {
                    errors.Add(FieldErrors.NotSupported($"spec.policyTypes[{i}]", GoValues.Quote(type), "Ingress", "Egress"));
                }
            }
        }

        return errors;
    }

    /// <summary>ValidateNetworkPolicyPort.</summary>
    private static IEnumerable<FieldError> Port(JsonObject port, string path)
    {
        if (FieldErrors.Str(port["protocol"]) is { } protocol && protocol is not ("TCP" or "UDP" or "SCTP"))
        {
            yield return FieldErrors.NotSupported(path + ".protocol", GoValues.Quote(protocol), "TCP", "UDP", "SCTP");
        }

        var endPort = FieldErrors.Int(port["endPort"]);
        if (port["port"] is null)
        {
            if (endPort is { } end)
            {
                yield return FieldErrors.Invalid(path + ".endPort", Number(end), "may not be specified when `port` is not specified");
            }

            yield break;
        }

        if (FieldErrors.Str(port["port"]) is { } name)
        {
            if (endPort is { } end)
            {
                yield return FieldErrors.Invalid(path + ".endPort", Number(end), "may not be specified when `port` is non-numeric");
            }

            foreach (var msg in PodTemplateValidation.IsValidPortName(name))
            {
                yield return FieldErrors.Invalid(path + ".port", GoValues.Quote(name), msg);
            }

            yield break;
        }

        var number = FieldErrors.Int(port["port"]) ?? 0;
        if (PodTemplateValidation.IsValidPortNum(number) is { } portMsg)
        {
            yield return FieldErrors.Invalid(path + ".port", Number(number), portMsg);
        }

        if (endPort is { } last)
        {
            if (last < number)
            {
                // Upstream reports the port, not the endPort, as the bad value.
                yield return FieldErrors.Invalid(path + ".endPort", Number(number), "must be greater than or equal to `port`");
            }

            if (PodTemplateValidation.IsValidPortNum(last) is { } endMsg)
            {
                yield return FieldErrors.Invalid(path + ".endPort", Number(last), endMsg);
            }
        }
    }

    /// <summary>ValidateNetworkPolicyPeer with ValidateIPBlock's CIDR check.</summary>
    private static IEnumerable<FieldError> Peer(JsonObject peer, string path)
    {
        var count = 0;
        var errors = new List<FieldError>();
        foreach (var selector in (string[])["podSelector", "namespaceSelector"])
        {
            if (peer[selector] is { } s)
            {
                count++;
                errors.AddRange(LabelSelectors.Validate(s, $"{path}.{selector}"));
            }
        }

        if (peer["ipBlock"] is { } block)
        {
            count++;
            var cidr = FieldErrors.Str(block["cidr"]) ?? "";
            if (cidr.Length == 0)
            {
                errors.Add(FieldErrors.Required(path + ".ipBlock.cidr"));
            }
            else if (!IsCidr(cidr))
            {
                errors.Add(FieldErrors.Invalid(path + ".ipBlock.cidr", GoValues.Quote(cidr), "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
            }
        }

        if (count == 0)
        {
            errors.Add(FieldErrors.Required(path, "must specify a peer"));
        }
        else if (count > 1 && peer["ipBlock"] is not null)
        {
            errors.Add(FieldErrors.Forbidden(path, "may not specify both ipBlock and another peer"));
        }

        return errors;
    }

    /// <summary>netutils.ParseCIDRSloppy: an IPv4 dotted quad or an IPv6 address, a slash, a prefix length in range.</summary>
    private static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            return false;
        }

        var ip = value[..slash];
        var v6 = ip.Contains(':', StringComparison.Ordinal);
        return (v6 || ip.Split('.').Length == 4) && IPAddress.TryParse(ip, out _) && prefix <= (v6 ? 128 : 32);
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
