using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Resources;

namespace Vers.LocalCluster.Api.Registry.Events;

/// <summary>
/// events.k8s.io/v1 Events: served from the core events storage, converted both ways
/// (pkg/apis/events/v1/conversion.go), with the create checks ValidateEventCreate makes for that version.
/// </summary>
internal sealed class EventsV1Strategy : ResourceStrategy
{
    public override bool ConvertsStorage => true;

    public override JsonObject ToStorage(JsonObject obj) => EventConversion.ToCore(obj);

    public override JsonObject FromStorage(JsonObject obj) => EventConversion.FromCore(obj);

    public override void ValidateCreateRequest(JsonObject body) => EventConversion.ValidateCreate(body);
}
