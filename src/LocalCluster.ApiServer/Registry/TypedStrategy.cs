using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Registry.Decoding;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// A built-in kind with a Go type: its bodies are decoded as into that struct (<see cref="TypedDecoder"/>), then
/// converted and defaulted (<see cref="Default"/>: the kind's <c>Convert_v1_*</c> and <c>SetDefaults_*</c>).
/// <paramref name="model"/> is the KubernetesClient model of the kind's versioned type (e.g. <c>V1ConfigMap</c>).
/// </summary>
internal abstract class TypedStrategy(Type model) : ResourceStrategy
{
    private GoStruct? _type;

    /// <summary>The Go type, built on the kind's first write.</summary>
    private GoStruct GoType => _type ??= GoTypes.Of(model);

    public override IReadOnlyList<string> Decode(ResourceType type, JsonObject obj, FieldValidation validation)
    {
        var warnings = TypedDecoder.Decode(type, GoType, obj, validation);
        Default(type, obj);
        return warnings;
    }

    /// <summary>
    /// Conversion to the internal type and the v1 defaults, on every decoded body, after the typed decode has checked
    /// every field's Go type. <paramref name="type"/> names the kind in decoding errors.
    /// </summary>
    protected virtual void Default(ResourceType type, JsonObject obj)
    {
    }
}

/// <summary>A built-in kind with a Go type and no rules beyond decoding and core ObjectMeta (e.g. ServiceAccount).</summary>
internal sealed class TypedDataStrategy(Type model) : TypedStrategy(model)
{
    public override IEnumerable<Http.FieldError> Validate(StrategyContext ctx, JsonObject obj) => ObjectMetaRules.ValidateCore(obj);

    public override IEnumerable<Http.FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => ObjectMetaRules.ValidateCore(updated);
}
