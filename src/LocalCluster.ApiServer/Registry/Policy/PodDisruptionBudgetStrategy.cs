using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry.Apps;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry.Policy;

/// <summary>
/// pkg/registry/policy/poddisruptionbudget/strategy.go with pkg/apis/policy/validation/validation.go
/// (ValidatePodDisruptionBudgetSpec, ValidatePodDisruptionBudgetStatusUpdate): minAvailable and maxUnavailable
/// exclusive, each a non-negative integer or a percent up to 100%, a valid selector; generation bumped on spec
/// changes (the store's), the zero status on create.
/// </summary>
internal sealed class PodDisruptionBudgetStrategy() : TypedStrategy(typeof(k8s.Models.V1PodDisruptionBudget))
{
    private static readonly string[] StatusCounts = ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"];

    public override bool TracksGeneration => true;


    /// <summary>PrepareForCreate: the zero PodDisruptionBudgetStatus, whose four counts have no omitempty.</summary>
    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        var status = new JsonObject();
        foreach (var count in StatusCounts)
        {
            status[count] = 0;
        }

        obj["status"] = status;
        return null;
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => Spec(obj["spec"]);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) =>
        ctx.IsStatus ? StatusUpdate(updated["status"]) : Spec(updated["spec"]);

    /// <summary>ValidatePodDisruptionBudgetSpec.</summary>
    private static List<FieldError> Spec(JsonNode? spec)
    {
        var errors = new List<FieldError>();
        var minAvailable = spec?["minAvailable"];
        var maxUnavailable = spec?["maxUnavailable"];
        if (minAvailable is not null && maxUnavailable is not null)
        {
            // The whole spec is the bad value; %#v prints its pointer fields as addresses.
            var value = "policy.PodDisruptionBudgetSpec{"
                        + $"MinAvailable:{GoValues.Pointer("intstr.IntOrString", minAvailable)}, "
                        + $"Selector:{GoValues.Pointer("v1.LabelSelector", spec?["selector"])}, "
                        + $"MaxUnavailable:{GoValues.Pointer("intstr.IntOrString", maxUnavailable)}, "
                        + $"UnhealthyPodEvictionPolicy:{GoValues.Pointer("policy.UnhealthyPodEvictionPolicyType", spec?["unhealthyPodEvictionPolicy"])}}}";
            errors.Add(FieldErrors.Invalid("spec", value, "minAvailable and maxUnavailable cannot be both set"));
        }

        foreach (var (field, value) in new[] { ("minAvailable", minAvailable), ("maxUnavailable", maxUnavailable) })
        {
            if (value is not null)
            {
                errors.AddRange(IntOrPercent.ValidatePositive(value, "spec." + field));
                errors.AddRange(IntOrPercent.NotMoreThan100Percent(value, "spec." + field));
            }
        }

        errors.AddRange(LabelSelectors.Validate(spec?["selector"], "spec.selector"));
        if (FieldErrors.Str(spec?["unhealthyPodEvictionPolicy"]) is { } policy && policy is not ("AlwaysAllow" or "IfHealthyBudget"))
        {
            errors.Add(FieldErrors.NotSupported("spec.unhealthyPodEvictionPolicy", GoValues.Quote(policy), "AlwaysAllow", "IfHealthyBudget"));
        }

        return errors;
    }

    /// <summary>ValidatePodDisruptionBudgetStatusUpdate for policy/v1: conditions, then non-negative counts.</summary>
    private static List<FieldError> StatusUpdate(JsonNode? status)
    {
        var errors = new List<FieldError>(Conditions.Validate(status?["conditions"], "status.conditions"));
        foreach (var count in StatusCounts)
        {
            errors.AddRange(FieldErrors.NonNegative(FieldErrors.Int(status?[count]), "status." + count));
        }

        return errors;
    }
}
