using System.Text.Json.Nodes;

namespace Vers.LocalCluster.Api.Registry.Core;

/// <summary>pkg/registry/core/secret/strategy.go and the v1 defaults: type Opaque unless given.</summary>
internal sealed class SecretStrategy : ResourceStrategy
{
    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        obj["type"] ??= "Opaque";
        return null;
    }
}
