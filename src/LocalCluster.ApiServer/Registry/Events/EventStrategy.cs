using System.Text.Json.Nodes;
using k8s.Models;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Registry.Events;

/// <summary>
/// Core v1 Events (pkg/registry/core/event/strategy.go): decoded as core/v1 Event, validated by the legacy rules only
/// (ValidateEventCreate/ValidateEventUpdate return after them for the v1 API), named as any path segment (only
/// rest.BeforeCreate's ValidatePathSegmentName applies to them).
/// </summary>
internal sealed class EventStrategy() : TypedStrategy(typeof(Corev1Event))
{
    public override IEnumerable<FieldError> ValidateName(string name) => NameRules.PathSegment(name, "metadata.name");

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => EventValidation.Legacy(obj, core: true);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => EventValidation.Legacy(updated, core: true);
}
