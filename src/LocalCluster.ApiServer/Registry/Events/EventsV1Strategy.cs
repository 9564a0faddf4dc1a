using System.Text.Json.Nodes;
using k8s.Models;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Events;

/// <summary>
/// events.k8s.io/v1 Events: served from the core events storage, converted both ways
/// (pkg/apis/events/v1/conversion.go), with the create checks ValidateEventCreate makes for that version. Bodies
/// are decoded after conversion, as the core Event they are stored as (every events.k8s.io/v1 field has a core
/// counterpart), so a type error names the core field; the legacy rules apply with the events.k8s.io field names.
/// </summary>
internal sealed class EventsV1Strategy() : TypedStrategy(typeof(Corev1Event))
{
    public override bool ConvertsStorage => true;

    public override JsonObject ToStorage(JsonObject obj) => EventConversion.ToCore(obj);

    public override JsonObject FromStorage(JsonObject obj) => EventConversion.FromCore(obj);

    public override void ValidateCreateRequest(JsonObject body) => EventConversion.ValidateCreate(body);

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) =>
        [.. EventValidation.Legacy(obj, core: false), .. ObjectMetaRules.ValidateCore(obj)];

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => EventValidation.Legacy(updated, core: false);
}
