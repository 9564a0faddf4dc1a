using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Registry.ApiExtensions;

/// <summary>
/// apiextensions-apiserver's pkg/registry/customresourcedefinition/strategy.go with the establishing and naming
/// controllers folded in: validation, the server-maintained status, the instance cleanup finalizer on delete, and the
/// registry serving the CRD's resource from the moment it is stored until it is removed.
/// </summary>
internal sealed partial class CustomResourceDefinitionStrategy : ResourceStrategy
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    public override bool TracksGeneration => true;

    public override bool AllowUnconditionalUpdate => false;

    public override IEnumerable<string> FinalizersOnDelete { get; } = [CleanupFinalizer];

    public override CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        // Validated first: the status is derived from a spec that must be whole.
        Validate(obj);
        FillStatus(obj, null, ctx.Now);
        return null;
    }

    public override void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        Validate(updated);
        FillStatus(updated, old["status"]?.DeepClone() as JsonObject, ctx.Now);
    }

    public override void PrepareForDelete(StrategyContext ctx, JsonObject terminating, JsonObject current) =>
        FillStatus(terminating, current["status"]?.DeepClone() as JsonObject, ctx.Now);

    public override bool HooksStorage => true;

    public override void OnStored(IRegistryHooks hooks, StoredObject stored)
    {
        var served = ResourceRegistry.FromCrd(stored.ToJsonObject());
        var established = hooks.Registry.FindByStorageKey(served.StorageKey) is null;
        hooks.Registry.Register(served);
        if (established)
        {
            LogCrdEstablished(hooks.Logger, stored.Name);
        }
    }

    public override void OnRemoved(IRegistryHooks hooks, StoredObject removed)
    {
        var served = ResourceRegistry.FromCrd(removed.ToJsonObject());
        hooks.Registry.Unregister(served.StorageKey);

        // Instances still left (the cleanup finalizer was removed by hand) go with their definition.
        hooks.RemoveAll(served);
        LogCrdRemoved(hooks.Logger, removed.Name);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "CRD {Name} established")]
    private static partial void LogCrdEstablished(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "CRD {Name} removed")]
    private static partial void LogCrdRemoved(ILogger logger, string name);

    private static void Validate(JsonObject crd)
    {
        var name = Meta.Name(crd);
        var errors = new List<FieldError>();
        var spec = crd["spec"] as JsonObject;
        var group = spec?["group"]?.GetValue<string>() ?? "";
        var names = spec?["names"] as JsonObject;
        var plural = names?["plural"]?.GetValue<string>() ?? "";
        if (group.Length == 0)
        {
            errors.Add(new FieldError("FieldValueRequired", "spec.group", ""));
        }

        if (plural.Length == 0)
        {
            errors.Add(new FieldError("FieldValueRequired", "spec.names.plural", ""));
        }
        else if (plural != plural.ToLowerInvariant())
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.names.plural", "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'", $"\"{plural}\""));
        }

        if (names?["kind"]?.GetValue<string>() is not { Length: > 0 })
        {
            errors.Add(new FieldError("FieldValueRequired", "spec.names.kind", ""));
        }

        if (plural.Length > 0 && group.Length > 0 && name != $"{plural}.{group}")
        {
            errors.Add(new FieldError("FieldValueInvalid", "metadata.name", $"must be spec.names.plural+\".\"+spec.group", $"\"{name}\""));
        }

        var scope = spec?["scope"]?.GetValue<string>();
        if (scope is not ("Namespaced" or "Cluster"))
        {
            errors.Add(scope is null
                ? new FieldError("FieldValueRequired", "spec.scope", "")
                : new FieldError("FieldValueNotSupported", "spec.scope", "supported values: \"Cluster\", \"Namespaced\"", $"\"{scope}\""));
        }

        var versions = spec?["versions"] as JsonArray;
        if (versions is null || versions.Count == 0)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.versions", "must have exactly one version marked as storage version", "[]"));
        }
        else
        {
            var storage = versions.Count(v => v?["storage"]?.GetValue<bool>() == true);
            if (storage != 1)
            {
                errors.Add(new FieldError("FieldValueInvalid", "spec.versions", "must have exactly one version marked as storage version", "null"));
            }

            for (var i = 0; i < versions.Count; i++)
            {
                if (versions[i]?["name"]?.GetValue<string>() is not { Length: > 0 })
                {
                    errors.Add(new FieldError("FieldValueRequired", $"spec.versions[{i}].name", ""));
                }

                if (versions[i]?["schema"]?["openAPIV3Schema"] is not JsonObject)
                {
                    errors.Add(new FieldError("FieldValueRequired", $"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"));
                }
            }
        }

        if (errors.Count > 0)
        {
            throw ApiException.Invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, errors);
        }
    }

    /// <summary>Fills acceptedNames, storedVersions and the NamesAccepted/Established conditions.</summary>
    private static void FillStatus(JsonObject crd, JsonObject? previousStatus, string now)
    {
        var spec = crd["spec"]!.AsObject();
        var names = spec["names"]!.AsObject().DeepClone().AsObject();
        var kind = names["kind"]!.GetValue<string>();
        names["singular"] ??= kind.ToLowerInvariant();
        names["listKind"] ??= kind + "List";
        spec["names"] = names.DeepClone();

        var stored = new List<string>();
        if (previousStatus?["storedVersions"] is JsonArray prev)
        {
            stored.AddRange(prev.Select(v => v!.GetValue<string>()));
        }

        var storageVersion = spec["versions"]!.AsArray().First(v => v?["storage"]?.GetValue<bool>() == true)!["name"]!.GetValue<string>();
        if (!stored.Contains(storageVersion))
        {
            stored.Add(storageVersion);
        }

        JsonObject Condition(string type, string reason, string message)
        {
            var old = (previousStatus?["conditions"] as JsonArray)?.OfType<JsonObject>()
                .FirstOrDefault(c => c["type"]?.GetValue<string>() == type && c["status"]?.GetValue<string>() == "True");
            return new JsonObject
            {
                ["type"] = type,
                ["status"] = "True",
                ["lastTransitionTime"] = old?["lastTransitionTime"]?.DeepClone() ?? now,
                ["reason"] = reason,
                ["message"] = message,
            };
        }

        var conditions = new JsonArray
        {
            Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            Condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        };
        if (Meta.IsTerminating(crd))
        {
            conditions.Add(Condition("Terminating", "InstanceDeletionInProgress", "CustomResource deletion is in progress"));
        }

        crd["status"] = new JsonObject
        {
            ["conditions"] = conditions,
            ["acceptedNames"] = names,
            ["storedVersions"] = new JsonArray([.. stored.Select(s => (JsonNode)JsonValue.Create(s))]),
        };
    }
}
