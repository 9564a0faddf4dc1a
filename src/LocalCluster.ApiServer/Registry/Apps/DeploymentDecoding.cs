using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Registry.Core;

namespace Vers.LocalCluster.ApiServer.Registry.Apps;

/// <summary>
/// The defaults of a decoded apps/v1 Deployment: SetDefaults_Deployment (pkg/apis/apps/v1/defaults.go) with the pod
/// template's defaults (pkg/apis/core/v1/defaults.go); the types were checked by the typed decode before.
/// </summary>
internal static class DeploymentDecoding
{
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
