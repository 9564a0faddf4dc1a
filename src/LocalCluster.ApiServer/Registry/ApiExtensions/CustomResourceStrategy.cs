using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Registry.ApiExtensions;

/// <summary>
/// Custom resources (apiextensions-apiserver pkg/registry/customresource/strategy.go and the structural schema's
/// decoding): unknown fields pruned, schema defaults applied (also on read, KEP-575), the OpenAPI schema and its
/// transition rules validated, generation tracked, no unconditional update and no strategic merge patch.
/// </summary>
internal sealed class CustomResourceStrategy : ResourceStrategy
{
    public static CustomResourceStrategy Instance { get; } = new();

    public override bool TracksGeneration => true;

    public override bool AllowUnconditionalUpdate => false;

    public override bool SupportsStrategicMerge => false;

    /// <summary>Prune unknown fields (400 under fieldValidation=Strict, warnings under Warn) and apply schema defaults.</summary>
    public override IReadOnlyList<string> Decode(ResourceType type, JsonObject obj, FieldValidation validation)
    {
        if (type.StorageSchema is not { } schema)
        {
            return [];
        }

        var unknown = new List<string>();
        StructuralSchema.PruneRoot(obj, schema, unknown);
        if (unknown.Count > 0 && validation == FieldValidation.Strict)
        {
            throw ApiException.BadRequest($"{type.Kind} in version \"{type.StorageVersion}\" cannot be handled as a {type.Kind}: strict decoding error: "
                                          + string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
        }

        StructuralSchema.Default(obj, schema);
        return validation == FieldValidation.Warn ? [.. unknown.Select(u => $"unknown field \"{u}\"")] : [];
    }

    public override object? DefaultsMark(ResourceType type) => type.StorageSchema;

    public override bool NeedsReadDefaults(ResourceType type, StoredObject stored) =>
        type.StorageSchemaHasDefaults && !ReferenceEquals(stored.DefaultedWith, type.StorageSchema);

    public override void DefaultOnRead(ResourceType type, JsonObject obj)
    {
        if (type.StorageSchema is { } schema && type.StorageSchemaHasDefaults)
        {
            StructuralSchema.Default(obj, schema);
        }
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateSchema(ctx.Type, obj, null, statusOnly: false);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) =>
        ValidateSchema(ctx.Type, updated, old, ctx.IsStatus);

    /// <summary>
    /// Schema validation of a write. Main-resource writes validate everything but a subresource-owned status, and the
    /// <c>self == oldSelf</c> rules against the old object; status writes validate only status.
    /// </summary>
    private static List<FieldError> ValidateSchema(ResourceType type, JsonObject obj, JsonObject? old, bool statusOnly)
    {
        var errors = new List<FieldError>();
        if (type.StorageSchema is not { } schema)
        {
            return errors;
        }

        if (statusOnly)
        {
            if (schema["properties"]?["status"] is JsonObject statusSchema && obj["status"] is { } status)
            {
                StructuralSchema.Validate(status, statusSchema, "status", errors);
            }
        }
        else if (type.Version(type.StorageVersion)?.HasStatus == true)
        {
            // Validated as if status were absent (a subresource owns it); detached and put back in place, not copied.
            using (Detach(obj, "status"))
            using (Detach(old, "status"))
            {
                StructuralSchema.Validate(obj, schema, "", errors);
                StructuralSchema.ValidateTransitions(obj, old, schema, "", errors);
            }
        }
        else
        {
            StructuralSchema.Validate(obj, schema, "", errors);
            StructuralSchema.ValidateTransitions(obj, old, schema, "", errors);
        }

        return errors;
    }

    /// <summary>Takes a property out of an object until disposed, then puts it back at its position.</summary>
    private static Detached Detach(JsonObject? obj, string key)
    {
        if (obj is null || obj.IndexOf(key) is var index && index < 0)
        {
            return default;
        }

        var value = obj[key];
        obj.RemoveAt(index);
        return new Detached(obj, index, key, value);
    }

    private readonly struct Detached(JsonObject? obj, int index, string key, JsonNode? value) : IDisposable
    {
        public void Dispose() => obj?.Insert(index, key, value);
    }
}
