using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Vers.Operator.Runtime.Informers;

namespace Vers.ApiShim.Auth;

/// <summary>
/// Checks bearer keys against the key Secrets, read from an informer cache: O(1) by key id, the hash
/// compared in constant time. Deleting a Secret revokes its key as soon as the watch delivers the
/// deletion (well under a second on a healthy cluster).
/// </summary>
public sealed class ApiKeyAuthenticator(ResourceInformer<V1Secret> secrets, string releaseNamespace)
{
    /// <summary>The org the key acts for, or null when the key is missing, malformed, unknown or wrong.</summary>
    public string? Authenticate(string? authorizationHeader)
    {
        const string scheme = "Bearer ";
        if (authorizationHeader is null || !authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var key = authorizationHeader[scheme.Length..].Trim();
        var keyId = ApiKeys.KeyIdOf(key);
        if (keyId is null)
        {
            return null;
        }

        var secret = secrets.Get(releaseNamespace, ApiKeys.SecretName(keyId));
        if (secret?.Data is null
            || !secret.Data.TryGetValue(ApiKeys.HashField, out var storedHex)
            || !secret.Data.TryGetValue(ApiKeys.OrgField, out var org))
        {
            return null;
        }

        byte[] stored;
        try
        {
            stored = Convert.FromHexString(Encoding.UTF8.GetString(storedHex));
        }
        catch (FormatException)
        {
            return null;
        }

        return CryptographicOperations.FixedTimeEquals(ApiKeys.Hash(key), stored) ? Encoding.UTF8.GetString(org) : null;
    }
}
