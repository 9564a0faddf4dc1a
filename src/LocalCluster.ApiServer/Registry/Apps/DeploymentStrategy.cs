using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry.Autoscaling;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Apps;

/// <summary>
/// pkg/registry/apps/deployment/strategy.go (deploymentStrategy, deploymentStatusStrategy) with the decoding of an
/// apps/v1 Deployment (SetDefaults_Deployment) and the scale subresource of storage/storage.go (ScaleREST).
/// </summary>
internal sealed class DeploymentStrategy() : TypedStrategy(typeof(k8s.Models.V1Deployment))
{
    public override IReadOnlyCollection<string> Subresources { get; } = [ScaleSubresource.SubresourceName];

    public override IReadOnlyList<SubresourceView> Views { get; } = [ScaleSubresource.Workloads];

    /// <summary>The store sets generation 1 on create and bumps it on spec changes; annotations are in <see cref="PrepareForUpdate"/>.</summary>
    public override bool TracksGeneration => true;

    protected override void Default(ResourceType type, JsonObject obj) => DeploymentDecoding.ApplyDefaults(obj);

    /// <summary>PrepareForCreate: status is the zero DeploymentStatus (every field omitempty, so <c>{}</c>).</summary>
    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        obj["status"] = new JsonObject();
        return null;
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => DeploymentValidation.Validate(obj);

    /// <summary>WarningsOnCreate: the name becomes part of Pod names and hostnames (pod template warnings are not reproduced).</summary>
    public override IEnumerable<string> WarningsOnCreate(StrategyContext ctx, JsonObject obj)
    {
        var messages = NameRules.Dns1123LabelMessages(Meta.Name(obj)).ToList();
        return messages.Count == 0
            ? []
            : [$"metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [{string.Join(" ", messages)}]"];
    }

    /// <summary>
    /// PrepareForUpdate: annotation changes bump the generation too (they are copied to the ReplicaSets); spec changes
    /// are the store's. The status strategy changes nothing here: the store keeps spec and metadata on /status.
    /// </summary>
    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        if (!ctx.IsStatus && !SameMap(updated["metadata"]?["annotations"], old["metadata"]?["annotations"]))
        {
            Meta.Of(updated)["generation"] = Meta.Generation(old) + 1;
        }
    }

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) =>
        ctx.IsStatus ? DeploymentValidation.ValidateStatusUpdate(updated, old) : DeploymentValidation.ValidateUpdate(updated, old);

    /// <summary>apiequality.Semantic.DeepEqual of two string maps: a nil and an empty map are equal.</summary>
    private static bool SameMap(JsonNode? a, JsonNode? b) =>
        (a as JsonObject)?.Count is null or 0 ? (b as JsonObject)?.Count is null or 0 : JsonNode.DeepEquals(a, b);
}
