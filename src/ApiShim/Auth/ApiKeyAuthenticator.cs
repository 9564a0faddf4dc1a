using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Auth;

/// <summary>
/// Checks bearer keys against the key Secrets, read from an informer cache: O(1) by key id, the hash
/// compared in constant time. Deleting a Secret revokes its key as soon as the watch delivers the
/// deletion (well under a second on a healthy cluster).
/// </summary>
public sealed class ApiKeyAuthenticator(ResourceInformer<V1Secret> secrets, string releaseNamespace)
{
    public const string NoHeader = "no Authorization header";

    /// <summary>The org the key acts for, or null when the key is missing, malformed, unknown or wrong.</summary>
    public string? Authenticate(string? authorizationHeader) => Check(authorizationHeader).Org;

    /// <summary>
    /// Who the key is, with the key id (safe to log) and, when refused, why. Never carries the key.
    /// </summary>
    public AuthResult Check(string? authorizationHeader)
    {
        const string scheme = "Bearer ";
        if (authorizationHeader is null)
        {
            return new AuthResult(null, null, NoHeader);
        }

        if (!authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return new AuthResult(null, null, "Authorization is not a Bearer token");
        }

        var key = authorizationHeader[scheme.Length..].Trim();
        var keyId = ApiKeys.KeyIdOf(key);
        if (keyId is null)
        {
            return new AuthResult(null, null, "the bearer token is not an API key");
        }

        var secret = secrets.Get(releaseNamespace, ApiKeys.SecretName(keyId));
        if (secret?.Data is null
            || !secret.Data.TryGetValue(ApiKeys.HashField, out var storedHex)
            || !secret.Data.TryGetValue(ApiKeys.OrgField, out var org))
        {
            return new AuthResult(null, keyId, "unknown or revoked key");
        }

        byte[] stored;
        try
        {
            stored = Convert.FromHexString(Encoding.UTF8.GetString(storedHex));
        }
        catch (FormatException)
        {
            return new AuthResult(null, keyId, "the key's Secret holds no valid hash");
        }

        return CryptographicOperations.FixedTimeEquals(ApiKeys.Hash(key), stored)
            ? new AuthResult(Encoding.UTF8.GetString(org), keyId, null)
            : new AuthResult(null, keyId, "wrong secret for the key id");
    }
}

/// <summary>An authentication decision: the org (null when refused), the key id if the token had one's shape, and the refusal reason.</summary>
public sealed record AuthResult(string? Org, string? KeyId, string? Failure);
