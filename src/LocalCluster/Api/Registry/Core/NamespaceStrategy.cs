using System.Text.Json.Nodes;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Resources;

namespace Vers.LocalCluster.Api.Registry.Core;

/// <summary>
/// pkg/registry/core/namespace/strategy.go: the <c>kubernetes</c> finalizer and phase Active on create, the
/// <c>kubernetes.io/metadata.name</c> label, spec.finalizers changed only through <c>/finalize</c>, and a namespace
/// held until spec.finalizers is empty (phase Terminating meanwhile).
/// </summary>
internal sealed class NamespaceStrategy : ResourceStrategy
{
    public const string FinalizeSubresource = "finalize";

    public override IReadOnlyCollection<string> Subresources { get; } = [FinalizeSubresource];

    public override IEnumerable<FieldError> ValidateName(string name) => NameRules.Label(name, "metadata.name");

    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        var meta = Meta.Of(obj);
        if (meta["labels"] is not JsonObject labels)
        {
            labels = new JsonObject();
            meta["labels"] = labels;
        }

        labels["kubernetes.io/metadata.name"] = Meta.Name(obj);
        return null;
    }

    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        if (ctx.Subresource != FinalizeSubresource)
        {
            // spec.finalizers is only changed through /finalize; keep it as stored.
            updated["spec"] = old["spec"]?.DeepClone();
        }
    }

    public override bool BlocksRemoval(JsonObject obj) => obj["spec"]?["finalizers"] is JsonArray { Count: > 0 };

    public override void PrepareForDelete(StrategyContext ctx, JsonObject terminating, JsonObject current) =>
        terminating["status"] = new JsonObject { ["phase"] = "Terminating" };
}
