using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vers.Operator.Entities;

namespace Vers.ApiShim.Forks;

/// <summary>
/// Idempotency without shim-local state: the RepositoryFork of a keyed request is named after
/// (org, key), so a replay's create meets the first request's object (AlreadyExists), on any shim
/// replica and after restarts; the request's canonical hash, stored on the object, tells a replay
/// from a different request that reuses the key. The key lives as long as its RepositoryFork (its TTL).
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const string LegacyHeader = "X-Idempotency-Key";
    public const int MaxKeyLength = 255;

    /// <summary>On an idempotent RepositoryFork: SHA-256 (hex) of the canonical request it was created for.</summary>
    public const string RequestHashAnnotation = "vers.sh/request-sha256";

    public const string NamePrefix = "idem-";

    /// <summary>
    /// The key the request carries, if any, or why it is unusable. Both headers may be sent (Vers' SDK
    /// sends X-Idempotency-Key) but must then agree.
    /// </summary>
    public static (string? Key, string? Error) Read(IHeaderDictionary headers)
    {
        var values = headers[Header].Concat(headers[LegacyHeader]).ToList();
        if (values.Count == 0)
        {
            return (null, null);
        }

        if (values.Distinct(StringComparer.Ordinal).Count() > 1)
        {
            return (null, $"{Header} and {LegacyHeader} must be sent once and agree");
        }

        var key = values[0] ?? "";
        if (key.Length == 0 || string.IsNullOrWhiteSpace(key))
        {
            return (null, $"{Header} must not be empty");
        }

        if (key.Length > MaxKeyLength)
        {
            return (null, $"{Header} must be at most {MaxKeyLength} characters");
        }

        return key.All(c => c is >= ' ' and <= '~')
            ? (key, null)
            : (null, $"{Header} must consist of printable ASCII characters");
    }

    /// <summary>"idem-" and 52 base32 characters of SHA-256(org, key): a valid object name, 57 characters.</summary>
    public static string ObjectName(string org, string key) =>
        NamePrefix + Base32.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($"{org.Length}:{org}\n{key}")));

    /// <summary>
    /// SHA-256 of the request's meaning: field order, whitespace, unknown fields and an explicit null
    /// for an optional name do not change it.
    /// </summary>
    public static string RequestHash(ForkRepositoryRequest request)
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            request.SourceOrg, request.SourceRepo, request.SourceTag, request.RepoName, request.TagName,
        });
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }
}
