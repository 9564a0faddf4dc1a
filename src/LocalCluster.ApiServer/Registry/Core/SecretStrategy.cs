using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry.Decoding;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Core;

/// <summary>
/// pkg/registry/core/secret/strategy.go with pkg/apis/core/validation ValidateSecret/ValidateSecretUpdate:
/// stringData merged into data on decoding (pkg/apis/core/v1/conversion.go Convert_v1_Secret_To_core_Secret), type
/// Opaque unless given (defaults.go SetDefaults_Secret), config keys, at most 1 MiB, each type's required keys, type
/// immutable, and an immutable Secret keeps its data.
/// </summary>
internal sealed class SecretStrategy() : TypedStrategy(typeof(V1Secret))
{
    private const string ServiceAccountNameKey = "kubernetes.io/service-account.name";

    /// <summary>stringData is write-only: its values replace data's under the same keys, and it is not stored.</summary>
    protected override void Default(ResourceType type, JsonObject obj)
    {
        if (obj["stringData"] is JsonObject stringData)
        {
            if (obj["data"] is not JsonObject data)
            {
                data = new JsonObject();
                obj["data"] = data;
            }

            foreach (var (key, value) in stringData)
            {
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.ToString() ?? ""));
            }
        }

        obj.Remove("stringData");
        if (obj["type"] is not JsonValue t || t.ToString().Length == 0)
        {
            obj["type"] = "Opaque";
        }
    }

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateSecret(obj);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        var errors = new List<FieldError>();
        if (Type(updated) != Type(old))
        {
            errors.Add(ObjectMetaRules.Invalid("type", Type(updated), "field is immutable"));
        }

        if (ConfigMapStrategy.IsImmutable(old))
        {
            ConfigMapStrategy.ImmutableUpdate(updated, old, ["data"], errors);
        }

        errors.AddRange(ValidateSecret(updated));
        return errors;
    }

    private static List<FieldError> ValidateSecret(JsonObject secret)
    {
        var errors = ObjectMetaRules.ValidateCore(secret);
        var data = secret["data"] as JsonObject ?? [];
        long size = 0;
        foreach (var (key, value) in data)
        {
            errors.AddRange(ConfigMapStrategy.ConfigKey(key).Select(m => ObjectMetaRules.Invalid($"data[{key}]", key, m)));
            size += ConfigMapStrategy.DecodedLength(value?.ToString() ?? "");
        }

        if (size > ConfigMapStrategy.MaxSize)
        {
            errors.Add(new FieldError("FieldValueTooLong", "data", $"must have at most {ConfigMapStrategy.MaxSize} bytes"));
        }

        switch (Type(secret))
        {
            case "kubernetes.io/service-account-token":
                // Only the account's name is required: a controller adds the uid and the token later.
                if (secret["metadata"]?["annotations"]?[ServiceAccountNameKey]?.ToString() is null or "")
                {
                    errors.Add(Required($"metadata.annotations[{ServiceAccountNameKey}]"));
                }

                break;
            case "kubernetes.io/dockercfg":
                JsonKey(data, ".dockercfg", errors);
                break;
            case "kubernetes.io/dockerconfigjson":
                JsonKey(data, ".dockerconfigjson", errors);
                break;
            case "kubernetes.io/basic-auth" when !data.ContainsKey("username") && !data.ContainsKey("password"):
                // Either may be empty, but one must be there.
                errors.Add(Required("data[username]"));
                errors.Add(Required("data[password]"));
                break;
            case "kubernetes.io/ssh-auth" when data["ssh-privatekey"]?.ToString() is null or "":
                errors.Add(Required("data[ssh-privatekey]"));
                break;
            case "kubernetes.io/tls":
                foreach (var key in (string[])["tls.crt", "tls.key"])
                {
                    if (!data.ContainsKey(key))
                    {
                        errors.Add(Required($"data[{key}]"));
                    }
                }

                break;
        }

        return errors;
    }

    /// <summary>The docker config types: the key must be there and hold well-formed JSON (its contents are not echoed).</summary>
    private static void JsonKey(JsonObject data, string key, List<FieldError> errors)
    {
        if (!data.ContainsKey(key))
        {
            errors.Add(Required($"data[{key}]"));
        }
        else if (GoLiterals.JsonObjectError(Convert.FromBase64String(data[key]?.ToString() ?? "")) is { } error)
        {
            errors.Add(new FieldError("FieldValueInvalid", $"data[{key}]", error, "\"<secret contents redacted>\""));
        }
    }

    private static string Type(JsonObject secret) => secret["type"]?.ToString() ?? "";

    private static FieldError Required(string path) => new("FieldValueRequired", path, "");
}
