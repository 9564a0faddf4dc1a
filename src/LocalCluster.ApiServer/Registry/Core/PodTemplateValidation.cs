using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Registry.Core;

/// <summary>
/// The essentials of ValidatePodTemplateSpec (pkg/apis/core/validation/validation.go): template labels, at least one
/// container, container names DNS labels unique across containers and init containers, an image, ports in range with
/// a supported protocol and valid names, and the restartPolicy and imagePullPolicy values. Volumes, probes,
/// resources, security contexts and the rest of ValidatePodSpec are not checked.
/// </summary>
internal static partial class PodTemplateValidation
{
    public static IEnumerable<FieldError> Validate(JsonNode? template, string path)
    {
        var errors = new List<FieldError>(LabelSelectors.ValidateLabels(template?["metadata"]?["labels"], path + ".labels"));
        var spec = template?["spec"] as JsonObject;
        var specPath = path + ".spec";
        var names = new HashSet<string>(StringComparer.Ordinal);

        // validateContainers: at least one; validateContainerCommon for each, then the duplicate check.
        if (spec?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            errors.Add(FieldErrors.Required(specPath + ".containers"));
        }
        else
        {
            errors.AddRange(Containers(containers, $"{specPath}.containers", names));
        }

        // validateInitContainers: the same rules; names are unique across both lists.
        if (spec?["initContainers"] is JsonArray inits)
        {
            errors.AddRange(Containers(inits, $"{specPath}.initContainers", names));
        }

        // validateRestartPolicy.
        var restartPolicy = FieldErrors.Str(spec?["restartPolicy"]) ?? "";
        if (restartPolicy.Length == 0)
        {
            errors.Add(FieldErrors.Required(specPath + ".restartPolicy"));
        }
        else if (restartPolicy is not ("Always" or "OnFailure" or "Never"))
        {
            errors.Add(FieldErrors.NotSupported(specPath + ".restartPolicy", GoValues.Quote(restartPolicy), "Always", "OnFailure", "Never"));
        }

        errors.AddRange(FieldErrors.NonNegative(FieldErrors.Int(spec?["terminationGracePeriodSeconds"]), specPath + ".terminationGracePeriodSeconds"));
        return errors;
    }

    private static IEnumerable<FieldError> Containers(JsonArray containers, string path, HashSet<string> names)
    {
        foreach (var (i, container) in FieldErrors.Items(containers))
        {
            var at = $"{path}[{i}]";
            var name = FieldErrors.Str(container["name"]) ?? "";
            if (name.Length == 0)
            {
                yield return FieldErrors.Required(at + ".name");
            }
            else
            {
                foreach (var e in NameRules.Label(name, at + ".name"))
                {
                    yield return e;
                }
            }

            if ((FieldErrors.Str(container["image"]) ?? "").Length == 0)
            {
                yield return FieldErrors.Required(at + ".image");
            }

            foreach (var e in Ports(container["ports"], at + ".ports"))
            {
                yield return e;
            }

            // validatePullPolicy.
            if (FieldErrors.Str(container["imagePullPolicy"]) is { } policy && policy is not ("Always" or "IfNotPresent" or "Never"))
            {
                yield return policy.Length == 0
                    ? FieldErrors.Required(at + ".imagePullPolicy")
                    : FieldErrors.NotSupported(at + ".imagePullPolicy", GoValues.Quote(policy), "Always", "IfNotPresent", "Never");
            }

            if (!names.Add(name))
            {
                yield return FieldErrors.Duplicate(at + ".name", GoValues.Quote(name));
            }
        }
    }

    /// <summary>validateContainerPorts.</summary>
    private static IEnumerable<FieldError> Ports(JsonNode? ports, string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in FieldErrors.Items(ports))
        {
            var at = $"{path}[{i}]";
            if (FieldErrors.Str(port["name"]) is { Length: > 0 } name)
            {
                var messages = IsValidPortName(name);
                foreach (var msg in messages)
                {
                    yield return FieldErrors.Invalid(at + ".name", GoValues.Quote(name), msg);
                }

                if (messages.Count == 0 && !names.Add(name))
                {
                    yield return FieldErrors.Duplicate(at + ".name", GoValues.Quote(name));
                }
            }

            var containerPort = FieldErrors.Int(port["containerPort"]) ?? 0;
            if (containerPort == 0)
            {
                yield return FieldErrors.Required(at + ".containerPort");
            }
            else if (IsValidPortNum(containerPort) is { } msg)
            {
                yield return FieldErrors.Invalid(at + ".containerPort", containerPort.ToString(CultureInfo.InvariantCulture), msg);
            }

            if (FieldErrors.Int(port["hostPort"]) is { } hostPort and not 0 && IsValidPortNum(hostPort) is { } hostMsg)
            {
                yield return FieldErrors.Invalid(at + ".hostPort", hostPort.ToString(CultureInfo.InvariantCulture), hostMsg);
            }

            var protocol = FieldErrors.Str(port["protocol"]) ?? "";
            if (protocol.Length == 0)
            {
                yield return FieldErrors.Required(at + ".protocol");
            }
            else if (protocol is not ("SCTP" or "TCP" or "UDP"))
            {
                yield return FieldErrors.NotSupported(at + ".protocol", GoValues.Quote(protocol), "SCTP", "TCP", "UDP");
            }
        }
    }

    /// <summary>validation.IsValidPortNum: the message, or null for 1–65535.</summary>
    public static string? IsValidPortNum(long port) => port is >= 1 and <= 65535 ? null : "must be between 1 and 65535, inclusive";

    /// <summary>validation.IsValidPortName (an IANA_SVC_NAME).</summary>
    public static List<string> IsValidPortName(string port)
    {
        var errors = new List<string>();
        if (port.Length > 15)
        {
            errors.Add("must be no more than 15 characters");
        }

        if (!PortNameCharset().IsMatch(port))
        {
            errors.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }

        if (!port.Any(c => c is >= 'a' and <= 'z'))
        {
            errors.Add("must contain at least one letter (a-z)");
        }

        if (port.Contains("--", StringComparison.Ordinal))
        {
            errors.Add("must not contain consecutive hyphens");
        }

        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            errors.Add("must not begin or end with a hyphen");
        }

        return errors;
    }

    [GeneratedRegex("^[-a-z0-9]+$")]
    private static partial Regex PortNameCharset();
}
