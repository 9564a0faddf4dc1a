using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Core;

/// <summary>
/// pkg/registry/core/namespace/strategy.go: the <c>kubernetes</c> finalizer and phase Active on create, the
/// <c>kubernetes.io/metadata.name</c> label, spec.finalizers changed only through <c>/finalize</c>, and a namespace
/// held until spec.finalizers is empty (phase Terminating meanwhile). Validation is pkg/apis/core/validation's
/// ValidateNamespace, ValidateNamespaceFinalizeUpdate and ValidateNamespaceStatusUpdate.
/// </summary>
internal sealed class NamespaceStrategy() : TypedStrategy(typeof(k8s.Models.V1Namespace))
{
    public const string FinalizeSubresource = "finalize";

    public override IReadOnlyCollection<string> Subresources { get; } = [FinalizeSubresource];

    public override IEnumerable<FieldError> ValidateName(string name) => NameRules.Label(name, "metadata.name");

    /// <summary>SetDefaults_NamespaceStatus: a status without a phase is Active.</summary>
    protected override void Default(ResourceType type, JsonObject obj)
    {
        if (obj["status"] is JsonObject status)
        {
            status["phase"] ??= "Active";
        }
    }

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

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ObjectMetaRules.ValidateCore(obj);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        var errors = ObjectMetaRules.ValidateCore(updated);
        if (ctx.Subresource == FinalizeSubresource && updated["spec"]?["finalizers"] is JsonArray finalizers)
        {
            // validateFinalizerName: qualified names, and a name without a domain must be a standard one.
            for (var i = 0; i < finalizers.Count; i++)
            {
                var name = finalizers[i]?.ToString() ?? "";
                var path = $"spec.finalizers[{i}]";
                errors.AddRange(QualifiedNames.IsQualifiedName(name).Select(m => ObjectMetaRules.Invalid(path, name, m)));
                if (!name.Contains('/', StringComparison.Ordinal) && name is not ("kubernetes" or "orphan" or "foregroundDeletion"))
                {
                    errors.Add(ObjectMetaRules.Invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"));
                }
            }
        }

        if (ctx.IsStatus)
        {
            var phase = updated["status"]?["phase"]?.ToString() ?? "";
            var (expected, detail) = Meta.IsTerminating(updated)
                ? ("Terminating", "may only be 'Terminating' if `deletionTimestamp` is not empty")
                : ("Active", "may only be 'Active' if `deletionTimestamp` is empty");
            if (phase != expected)
            {
                errors.Add(ObjectMetaRules.Invalid("status.Phase", phase, detail));
            }
        }

        return errors;
    }

    public override bool BlocksRemoval(JsonObject obj) => obj["spec"]?["finalizers"] is JsonArray { Count: > 0 };

    public override void PrepareForDelete(StrategyContext ctx, JsonObject terminating, JsonObject current) =>
        terminating["status"] = new JsonObject { ["phase"] = "Terminating" };
}
