using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Registry.Core;

namespace Vers.LocalCluster.Api.Registry.Apps;

/// <summary>
/// What decoding an apps/v1 Deployment does here: the type checks of the integer fields the strategy reads (a minimal
/// stand-in for typed decoding) and SetDefaults_Deployment (pkg/apis/apps/v1/defaults.go) with the pod template's
/// defaults (pkg/apis/core/v1/defaults.go).
/// </summary>
internal static class DeploymentDecoding
{
    public static void CheckTypes(string version, JsonObject obj)
    {
        var spec = obj["spec"];
        foreach (var field in (string[])["replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"])
        {
            TypeChecks.Int32("Deployment", version, spec?[field], "DeploymentSpec", "spec." + field);
        }

        foreach (var field in (string[])["maxUnavailable", "maxSurge"])
        {
            TypeChecks.Int32("Deployment", version, spec?["strategy"]?["rollingUpdate"]?[field], "RollingUpdateDeployment", "spec.strategy.rollingUpdate." + field, orString: true);
        }

        foreach (var list in (string[])["containers", "initContainers"])
        {
            foreach (var (_, container) in FieldErrors.Items(spec?["template"]?["spec"]?[list]))
            {
                foreach (var (_, port) in FieldErrors.Items(container["ports"]))
                {
                    TypeChecks.Int32("Deployment", version, port["containerPort"], "ContainerPort", $"spec.template.spec.{list}.ports.containerPort");
                    TypeChecks.Int32("Deployment", version, port["hostPort"], "ContainerPort", $"spec.template.spec.{list}.ports.hostPort");
                }
            }
        }
    }

    /// <summary>SetDefaults_Deployment: spec and strategy are Go structs, so they are always there after decoding.</summary>
    public static void ApplyDefaults(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            spec = new JsonObject();
            obj["spec"] = spec;
        }

        spec["replicas"] ??= 1;
        if (spec["strategy"] is not JsonObject strategy)
        {
            strategy = new JsonObject();
            spec["strategy"] = strategy;
        }

        PodTemplateDefaults.Text(strategy, "type", "RollingUpdate");
        if (FieldErrors.Str(strategy["type"]) == "RollingUpdate")
        {
            if (strategy["rollingUpdate"] is not JsonObject rollingUpdate)
            {
                rollingUpdate = new JsonObject();
                strategy["rollingUpdate"] = rollingUpdate;
            }

            rollingUpdate["maxUnavailable"] ??= "25%";
            rollingUpdate["maxSurge"] ??= "25%";
        }

        spec["revisionHistoryLimit"] ??= 10;
        spec["progressDeadlineSeconds"] ??= 600;
        PodTemplateDefaults.Apply(spec["template"]);
    }
}
