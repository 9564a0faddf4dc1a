using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Vers.Api;

/// <summary>
/// Vers names (repositories, tags: 1–64 of letters, digits, '-', '_', '.', but not "." or "..") and their injective
/// mapping to Kubernetes object names (lowercase DNS labels). "." and ".." are refused because, as a path segment of the
/// API's read endpoints, every HTTP client and proxy resolves them as relative paths: such a repository could never be read.
/// Organisations are the values of the namespace label vers.sh/org (<see cref="IsOrg"/>). The operator and the API shim
/// both check names here (the shim with the messages of <see cref="Problem"/>).
/// </summary>
public static class VersNames
{
    public const int MaxLength = 64;

    /// <summary>The longest organisation name: a label value.</summary>
    public const int OrgMaxLength = KubernetesNames.MaxLabelLength;

    /// <summary>The characters of a Vers name, as the error messages state them.</summary>
    public const string Characters = "letters, digits, '-', '_' or '.'";

    /// <summary>The organisation rule, as the error messages state it.</summary>
    public const string OrgRule = "1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

    /// <summary>The rule as a CRD pattern: RE2, which the API server uses, has no lookahead, so "." and ".." are left out by hand.</summary>
    public const string Pattern = "^([A-Za-z0-9_-][A-Za-z0-9._-]{0,63}|\\.[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}|\\.\\.[A-Za-z0-9._-]{1,62})$";

    /// <summary>Is <paramref name="name"/> a valid Vers repository or tag name?</summary>
    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } and not "." and not ".." && name.AsSpan().IndexOfAnyExcept(Allowed) < 0;

    /// <summary>
    /// Can <paramref name="org"/> be an organisation: a label value that is not empty (else no namespace carries it).
    /// </summary>
    public static bool IsOrg(string? org) => org is { Length: > 0 } && KubernetesNames.IsLabelValue(org);

    /// <summary>
    /// Why <paramref name="value"/> is not a valid name for <paramref name="field"/> (1-<paramref name="maxLength"/> of
    /// <see cref="Characters"/>, not "." or ".."), or null when it is.
    /// </summary>
    public static string? Problem(string field, string value, int maxLength)
    {
        var rule = $"{field} must be 1-{maxLength} characters of {Characters}";
        if (value.Length == 0)
        {
            return $"{rule}: it is empty";
        }

        if (value.Length > maxLength)
        {
            return $"{rule}: it has {value.Length}";
        }

        if (value.AsSpan().IndexOfAnyExcept(Allowed) is var bad and >= 0)
        {
            return $"{rule}: it contains {Describe(value[bad])}";
        }

        return value is "." or ".." ? $"{field} must not be '{value}'" : null;
    }

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

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

    private static bool IsKept(string name) => KubernetesNames.IsDnsLabel(name) && !name.Contains("--", StringComparison.Ordinal);

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        '\n' => "a line break",
        '\r' => "a carriage return",
        '\t' => "a tab",
        _ when char.IsControl(c) => $"the control character U+{(int)c:X4}",
        _ when char.IsSurrogate(c) || c > '~' => $"the non-ASCII character '{c}'",
        _ => $"'{c}'",
    };

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
}
