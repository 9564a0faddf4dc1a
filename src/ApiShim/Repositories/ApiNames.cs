using System.Buffers;
using Vers.Operator.Entities;

namespace Vers.ApiShim.Repositories;

/// <summary>
/// Names as the fork API accepts them, on Vers' rules (<see cref="VersNames"/>: 1-64 letters, digits, '-', '_', '.', not
/// "." or ".."), with messages naming the problem. Organisations are namespace label values, so at most 63 characters.
/// </summary>
public static class ApiNames
{
    public const int OrgMaxLength = 63;

    /// <summary>The rule as the error messages state it.</summary>
    public const string Characters = "letters, digits, '-', '_' or '.'";

    public static bool IsRepositoryOrTag(string? name) => VersNames.IsValid(name);

    /// <summary>Why <paramref name="value"/> is not a valid name for <paramref name="field"/>, or null when it is.</summary>
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

        return IsDotSegment(value) ? $"{field} must not be '{value}'" : null;
    }

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

    private static bool IsDotSegment(string name) => name is "." or "..";

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
}
