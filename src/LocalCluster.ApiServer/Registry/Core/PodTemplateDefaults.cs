using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Registry.Core;

/// <summary>
/// The defaults a pod template gets when it is decoded inside a workload (pkg/apis/core/v1/defaults.go:
/// SetDefaults_PodSpec, SetDefaults_Container, SetDefaults_ContainerPort, SetDefaults_Probe, SetDefaults_HTTPGetAction,
/// SetDefaults_ObjectFieldSelector and the volume sources' defaultMode). Pod-only defaults (SetDefaults_Pod:
/// enableServiceLinks, requests from limits) are not applied to templates, as upstream.
/// </summary>
internal static class PodTemplateDefaults
{
    private const int DefaultMode = 420; // 0644

    public static void Apply(JsonNode? template)
    {
        if (template?["spec"] is not JsonObject spec)
        {
            return;
        }

        // SetDefaults_PodSpec.
        Text(spec, "dnsPolicy", "ClusterFirst");
        Text(spec, "restartPolicy", "Always");
        spec["securityContext"] ??= new JsonObject();
        spec["terminationGracePeriodSeconds"] ??= 30;
        Text(spec, "schedulerName", "default-scheduler");
        foreach (var list in (string[])["initContainers", "containers"])
        {
            foreach (var (_, container) in FieldErrors.Items(spec[list]))
            {
                Container(container);
            }
        }

        foreach (var (_, volume) in FieldErrors.Items(spec["volumes"]))
        {
            foreach (var source in (string[])["secret", "configMap", "downwardAPI", "projected"])
            {
                if (volume[source] is JsonObject v)
                {
                    v["defaultMode"] ??= DefaultMode;
                }
            }
        }
    }

    /// <summary>SetDefaults_Container and the defaults of what a container holds.</summary>
    private static void Container(JsonObject container)
    {
        Text(container, "imagePullPolicy", PullPolicyFor(FieldErrors.Str(container["image"]) ?? ""));
        Text(container, "terminationMessagePath", "/dev/termination-log");
        Text(container, "terminationMessagePolicy", "File");
        foreach (var (_, port) in FieldErrors.Items(container["ports"]))
        {
            Text(port, "protocol", "TCP");
        }

        foreach (var probe in (string[])["livenessProbe", "readinessProbe", "startupProbe"])
        {
            if (container[probe] is JsonObject p)
            {
                Number(p, "timeoutSeconds", 1);
                Number(p, "periodSeconds", 10);
                Number(p, "successThreshold", 1);
                Number(p, "failureThreshold", 3);
                if (p["httpGet"] is JsonObject get)
                {
                    Text(get, "path", "/");
                    Text(get, "scheme", "HTTP");
                }
            }
        }

        foreach (var (_, env) in FieldErrors.Items(container["env"]))
        {
            if (env["valueFrom"]?["fieldRef"] is JsonObject fieldRef)
            {
                Text(fieldRef, "apiVersion", "v1");
            }
        }
    }

    /// <summary>A Go string field's default: it applies where the field is absent or empty (Go cannot tell the two apart).</summary>
    public static void Text(JsonObject obj, string key, string value)
    {
        if ((FieldErrors.Str(obj[key]) ?? (obj[key] is null ? "" : null)) is "")
        {
            obj[key] = value;
        }
    }

    /// <summary>A Go integer (not pointer) field's default: it applies where the field is absent or 0.</summary>
    private static void Number(JsonObject obj, string key, int value)
    {
        if (obj[key] is null || FieldErrors.Int(obj[key]) == 0)
        {
            obj[key] = value;
        }
    }

    /// <summary>
    /// SetDefaults_Container's pull policy: Always for the tag <c>latest</c>, which an image without tag or digest has
    /// (parsers.ParseImageName); IfNotPresent otherwise, and for a reference that does not parse.
    /// </summary>
    public static string PullPolicyFor(string image)
    {
        var name = image;
        var digested = false;
        if (image.IndexOf('@', StringComparison.Ordinal) is var at and >= 0)
        {
            name = image[..at];
            digested = true;
        }

        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        var tag = colon > slash ? name[(colon + 1)..] : "";
        var repository = colon > slash ? name[..colon] : name;
        var firstSlash = repository.IndexOf('/', StringComparison.Ordinal);
        var path = firstSlash > 0 && (repository[..firstSlash].Contains('.', StringComparison.Ordinal) || repository[..firstSlash].Contains(':', StringComparison.Ordinal) || repository[..firstSlash] == "localhost")
            ? repository[(firstSlash + 1)..]
            : repository;
        if (path.Length == 0 || path.Any(c => char.IsUpper(c) || char.IsWhiteSpace(c)))
        {
            return "IfNotPresent";
        }

        return tag == "latest" || (tag.Length == 0 && !digested) ? "Always" : "IfNotPresent";
    }
}
