using System.Text.Json.Nodes;
using k8s.Models;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Coordination;

/// <summary>
/// coordination.k8s.io/v1 Leases (pkg/registry/coordination/lease/strategy.go with
/// pkg/apis/coordination/validation ValidateLease/ValidateLeaseSpec): a positive leaseDurationSeconds, no negative
/// leaseTransitions, a known or domain-qualified strategy, and a preferredHolder only with a strategy.
/// </summary>
internal sealed class LeaseStrategy() : TypedStrategy(typeof(V1Lease))
{
    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateLease(obj);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => ValidateLease(updated);

    private static List<FieldError> ValidateLease(JsonObject lease)
    {
        var errors = ObjectMetaRules.Validate(lease);
        if (lease["spec"] is not JsonObject spec)
        {
            return errors;
        }

        if (Int(spec["leaseDurationSeconds"]) is { } duration and <= 0)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.leaseDurationSeconds", "must be greater than 0", duration.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (Int(spec["leaseTransitions"]) is { } transitions and < 0)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.leaseTransitions", "must be greater than or equal to 0", transitions.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var strategy = spec["strategy"]?.ToString();
        if (strategy is not null)
        {
            // ValidateCoordinatedLeaseStrategy appends "strategy" to the path it is given (spec.strategy) once more.
            const string path = "spec.strategy.strategy";
            if (!strategy.Contains('/', StringComparison.Ordinal))
            {
                if (strategy != "OldestEmulationVersion")
                {
                    errors.Add(new FieldError("FieldValueNotSupported", path, "supported values: \"OldestEmulationVersion\"", Schema.StructuralSchema.Quote(strategy)));
                }
            }
            else
            {
                errors.AddRange(QualifiedNames.IsQualifiedName(strategy).Select(m => ObjectMetaRules.Invalid(path, strategy, m)));
            }
        }

        if (spec["preferredHolder"]?.ToString() is { Length: > 0 } && string.IsNullOrEmpty(strategy))
        {
            errors.Add(new FieldError("FieldValueForbidden", "spec.preferredHolder", "may only be specified if `strategy` is defined"));
        }

        return errors;
    }

    private static long? Int(JsonNode? n) => n is JsonValue v && long.TryParse(v.ToJsonString(), out var i) ? i : null;
}
