using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.ApiShim.Auth;

/// <summary>A key's public facts; the secret part exists only in the key the user was given.</summary>
public sealed record ApiKeyInfo(string KeyId, string Org, DateTime? Created);

/// <summary>
/// API keys in Vers' format: the key id (a uuid, 36 characters) followed by 64 hex characters of
/// secret. Each key is a Secret in the release namespace named after its id, holding only the
/// SHA-256 of the whole key and the org it acts for.
/// </summary>
public static class ApiKeys
{
    public const string KeyLabel = "vers.sh/api-key";
    public const string SecretPrefix = "vers-api-key-";
    public const string HashField = "sha256";
    public const string OrgField = "org";
    private const int KeyIdLength = 36;
    private const int SecretLength = 64;

    public static string SecretName(string keyId) => SecretPrefix + keyId;

    /// <summary>Keys chosen by an operator (e.g. --dev-api-key) must be at least this long.</summary>
    public const int MinCustomKeyLength = 16;

    /// <summary>
    /// The id of a presented key: the uuid prefix of a Vers-format key, or, for a key an operator chose
    /// (any printable text of at least 16 characters), "h" plus 32 hex characters of its SHA-256.
    /// Null when it cannot be a key at all.
    /// </summary>
    public static string? KeyIdOf(string key)
    {
        if (key.Length == KeyIdLength + SecretLength && Guid.TryParseExact(key[..KeyIdLength], "D", out _) && key[KeyIdLength..].All(char.IsAsciiHexDigitLower))
        {
            return key[..KeyIdLength].ToLowerInvariant();
        }

        return key.Length is >= MinCustomKeyLength and <= 512 && key.All(c => c is > ' ' and < (char)127)
            ? "h" + Convert.ToHexStringLower(Hash(key))[..32]
            : null;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string NewKey() => Guid.NewGuid().ToString("D") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretLength / 2));

    /// <summary>Creates a key for <paramref name="org"/> and answers it; this is the only time the key exists in clear.</summary>
    public static async Task<(string Key, ApiKeyInfo Info)> CreateAsync(IKubernetes client, string releaseNamespace, string org, CancellationToken ct, string? key = null)
    {
        key ??= NewKey();
        var keyId = KeyIdOf(key)
            ?? throw new ArgumentException($"an API key must be at least {MinCustomKeyLength} printable ASCII characters without spaces", nameof(key));
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta
            {
                Name = SecretName(keyId),
                NamespaceProperty = releaseNamespace,
                Labels = new Dictionary<string, string> { [KeyLabel] = "true", ["app.kubernetes.io/part-of"] = "vers" },
            },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]>
            {
                [HashField] = Encoding.UTF8.GetBytes(Convert.ToHexStringLower(Hash(key))),
                [OrgField] = Encoding.UTF8.GetBytes(org),
            },
        };
        var created = await new KubeRestClient(client).CreateAsync(ResourceType.Secret, releaseNamespace, secret, ct);
        return (key, new ApiKeyInfo(keyId, org, created.Metadata.CreationTimestamp));
    }

    public static Task<bool> RevokeAsync(IKubernetes client, string releaseNamespace, string keyId, CancellationToken ct) =>
        new KubeRestClient(client).DeleteAsync(ResourceType.Secret, releaseNamespace, SecretName(keyId.ToLowerInvariant()), ct);

    public static async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(IKubernetes client, string releaseNamespace, CancellationToken ct)
    {
        var secrets = await new KubeRestClient(client).ListAsync<V1Secret>(ResourceType.Secret, releaseNamespace, ct, labelSelector: KeyLabel);
        return secrets.Items.Select(Info).OfType<ApiKeyInfo>().OrderBy(k => k.Org, StringComparer.Ordinal).ThenBy(k => k.KeyId, StringComparer.Ordinal).ToList();
    }

    public static ApiKeyInfo? Info(V1Secret secret) =>
        secret.Metadata.Name.StartsWith(SecretPrefix, StringComparison.Ordinal) && secret.Data?.TryGetValue(OrgField, out var org) == true
            ? new ApiKeyInfo(secret.Metadata.Name[SecretPrefix.Length..], Encoding.UTF8.GetString(org), secret.Metadata.CreationTimestamp)
            : null;
}
