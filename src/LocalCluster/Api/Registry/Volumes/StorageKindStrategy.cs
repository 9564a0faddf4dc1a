using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Resources;
using Vers.LocalCluster.Api.Schema;

namespace Vers.LocalCluster.Api.Registry.Volumes;

/// <summary>
/// PersistentVolumeClaim, PersistentVolume and StorageClass (pkg/registry/core/persistentvolumeclaim,
/// persistentvolume and pkg/registry/storage/storageclass strategies, with the DefaultStorageClass and
/// StorageObjectInUseProtection admission plugins); the rules themselves are in <see cref="StorageStrategy"/>.
/// Bodies are decoded as into the kind's Go type first.
/// </summary>
internal sealed class StorageKindStrategy(BuiltinKind kind) : TypedStrategy(kind switch
{
    BuiltinKind.PersistentVolumeClaim => typeof(k8s.Models.V1PersistentVolumeClaim),
    BuiltinKind.PersistentVolume => typeof(k8s.Models.V1PersistentVolume),
    _ => typeof(k8s.Models.V1StorageClass),
})
{
    public override IReadOnlyList<string> Decode(ResourceType type, JsonObject obj, FieldValidation validation)
    {
        var warnings = base.Decode(type, obj, validation);
        StorageStrategy.Default(type, obj);
        return warnings;
    }

    public override void AdmitCreate(StrategyContext ctx, JsonObject obj) =>
        StorageStrategy.AdmitCreate(kind, obj, () => ctx.Objects.List(ctx.Objects.Registry.StorageClasses));

    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        StorageStrategy.PrepareForCreate(kind, obj, ctx.Now);
        return null;
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj)
    {
        StorageStrategy.ValidateCreate(ctx.Type, obj);
        return [];
    }

    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) =>
        StorageStrategy.PrepareForUpdate(kind, updated, old, ctx.IsStatus, ctx.Now);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        StorageStrategy.ValidateUpdate(ctx.Type, updated, old, ctx.IsStatus);
        return [];
    }
}
