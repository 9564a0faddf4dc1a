using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vers.Api;

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
    /// The key the request carries, if any, or why it is unusable. <see cref="Header"/> wins over
    /// <see cref="LegacyHeader"/>: Vers' Go SDK puts a random X-Idempotency-Key on every POST, so a caller that sets
    /// its own Idempotency-Key through the SDK sends both, and its own key is the one that means something.
    /// </summary>
    public static (string? Key, string? Error) Read(IHeaderDictionary headers)
    {
        var header = headers[Header].Count > 0 ? Header : LegacyHeader;
        var values = headers[header];
        if (values.Count == 0)
        {
            return (null, null);
        }

        if (values.Distinct(StringComparer.Ordinal).Count() > 1)
        {
            return (null, $"{header} was sent {values.Count} times with different values; send it once");
        }

        var key = values[0] ?? "";
        if (key.Length == 0 || string.IsNullOrWhiteSpace(key))
        {
            return (null, $"{header} must not be empty");
        }

        if (key.Length > MaxKeyLength)
        {
            return (null, $"{header} must be at most {MaxKeyLength} characters, not {key.Length}");
        }

        return key.All(c => c is >= ' ' and <= '~')
            ? (key, null)
            : (null, $"{header} must consist of printable ASCII characters");
    }

    /// <summary>"idem-" and 52 base32 characters of SHA-256(org, key): a valid object name, 57 characters.</summary>
    public static string ObjectName(string org, string key) =>
        NamePrefix + Base32.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($"{org.Length}:{org}\n{key}")));

    /// <summary>
    /// SHA-256 of the request's meaning: field order, whitespace, unknown fields, an explicit null for an optional
    /// name and spelling out a default (repo_name = source_repo, tag_name = source_tag) do not change it.
    /// </summary>
    public static string RequestHash(ForkRepositoryRequest request) =>
        Hash(request.SourceOrg, request.SourceRepo, request.SourceTag, request.RepoName ?? request.SourceRepo, request.TagName ?? request.SourceTag);

    /// <summary>
    /// Whether <paramref name="stored"/> (a RepositoryFork's <see cref="RequestHashAnnotation"/>) was made for
    /// <paramref name="request"/>. Also accepts the hash earlier versions stored, which did not fill in the defaults, so
    /// that the keys of their forks still replay.
    /// </summary>
    public static bool Matches(string? stored, ForkRepositoryRequest request) =>
        stored is not null
        && (stored == RequestHash(request) || stored == Hash(request.SourceOrg, request.SourceRepo, request.SourceTag, request.RepoName, request.TagName));

    private static string Hash(params string?[] fields) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(fields)));
}
