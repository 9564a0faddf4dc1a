using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Vers.Operator.Entities;

/// <summary>
/// Vers names (repositories, tags: 1–64 of letters, digits, '-', '_', '.', but not "." or "..") and their injective
/// mapping to Kubernetes object names (lowercase DNS labels). "." and ".." are refused because, as a path segment of the
/// API's read endpoints, every HTTP client and proxy resolves them as relative paths: such a repository could never be read.
/// </summary>
public static partial class VersNames
{
    public const int MaxLength = 64;

    /// <summary>The rule as a CRD pattern: RE2, which the API server uses, has no lookahead, so "." and ".." are left out by hand.</summary>
    public const string Pattern = "^([A-Za-z0-9_-][A-Za-z0-9._-]{0,63}|\\.[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}|\\.\\.[A-Za-z0-9._-]{1,62})$";

    /// <summary>Is <paramref name="name"/> a valid Vers repository or tag name?</summary>
    public static bool IsValid(string? name) => name is not null and not "." and not ".." && VersName().IsMatch(name);

    /// <summary>
    /// The Kubernetes name for a Vers name. A name that already is a DNS label without "--" and without
    /// '.' stays as it is; any other becomes "&lt;readable part&gt;--&lt;16 base32 chars of its SHA-256&gt;".
    /// Kept names never contain "--" and escaped names always do, so the mapping is injective (up to
    /// SHA-256 collisions).
    /// </summary>
    public static string ToObjectName(string versName)
    {
        if (!IsValid(versName))
        {
            throw new ArgumentException($"'{versName}' is not a valid Vers name", nameof(versName));
        }

        return IsKept(versName) ? versName : Escape(versName, 63);
    }

    /// <summary>The object name of the Tag (repository, tag): "repo.tag" when both parts are kept as they are.</summary>
    public static string TagObjectName(string repository, string tag)
    {
        if (!IsValid(repository) || !IsValid(tag))
        {
            throw new ArgumentException($"'{repository}:{tag}' is not a valid Vers reference");
        }

        var plain = $"{repository}.{tag}";
        return IsKept(repository) && IsKept(tag) && plain.Length <= 63 ? plain : Escape($"{repository}:{tag}", 63);
    }

    private static bool IsKept(string name) =>
        name.Length <= 63 && DnsLabel().IsMatch(name) && !name.Contains("--", StringComparison.Ordinal);

    private static string Escape(string name, int maxLength)
    {
        var hash = Base32.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..16];
        var readable = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            var mapped = char.IsAsciiLetterOrDigit(c) ? c : '-';
            if (mapped == '-' && (readable.Length == 0 || readable[^1] == '-'))
            {
                continue;
            }

            readable.Append(mapped);
        }

        var prefix = readable.ToString().TrimEnd('-');
        var room = maxLength - hash.Length - 2;
        if (prefix.Length > room)
        {
            prefix = prefix[..room].TrimEnd('-');
        }

        return prefix.Length == 0 ? $"x--{hash}" : $"{prefix}--{hash}";
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}\\z")]
    private static partial Regex VersName();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\z")]
    private static partial Regex DnsLabel();
}
