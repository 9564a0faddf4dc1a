using System.Text;

namespace Vers.Common;

/// <summary>
/// Shared source, compiled into Vers.Kube and Vers.LocalCluster.ApiServer as an internal type of each (the API
/// server references no Vers assembly): one table per assembly, so a value is held once by the store and once by
/// the informers rather than once per holder.
/// One lossy table of strings, so that the same value held by many objects — a namespace, a
/// label key, an apiVersion, a finalizer, and an object's name and uid as the API server's store, its watch history
/// and every informer cache hold them — is one instance instead of one per holder. Values are looked up by their
/// UTF-8 (ASCII) bytes in a set of <see cref="Ways"/> slots kept in order of use: a value found moves to the front, a
/// newcomer enters at the front and pushes the least recently used one out. The table never grows and never keeps a
/// value alive for long that nothing else uses, and a value many objects hold (an apiVersion, a kind, a namespace)
/// leaves only when four newcomers reach its set between two of its uses. With one slot per hash, one colliding uid
/// pushed it out: at 50k objects that table held ~7,000 copies of each of the fork mix's apiVersions.
/// Non-ASCII and long values pass through unshared.
/// </summary>
internal static class SharedStrings
{
    internal const int MaxLength = 96;
    // 65,536 slots (512 KiB of references), as many as the direct-mapped table had: what the table keeps alive after
    // the objects holding its values are gone stays a few MB.
    private const int Sets = 16384; // power of two
    private const int Ways = 4;

    private static readonly string?[] Table = new string?[Sets * Ways];

    /// <summary>The shared instance of <paramref name="utf8"/>'s value (a new one when none is in the table).</summary>
    public static string Share(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength || !Ascii.IsValid(utf8))
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var set = Set(utf8);
        for (var way = 0; way < Ways; way++)
        {
            var cached = Volatile.Read(ref Table[set + way]);
            if (cached is not null && cached.Length == utf8.Length && Ascii.Equals(utf8, cached))
            {
                return ToFront(set, way, cached);
            }
        }

        var value = Encoding.ASCII.GetString(utf8);
        Insert(set, value);
        return value;
    }

    /// <summary>The shared instance equal to <paramref name="value"/>, which becomes it when the table has none.</summary>
    public static string Share(string value)
    {
        if (value.Length > MaxLength || !Ascii.IsValid(value))
        {
            return value;
        }

        Span<byte> utf8 = stackalloc byte[value.Length];
        Ascii.FromUtf16(value, utf8, out _);
        var set = Set(utf8);
        for (var way = 0; way < Ways; way++)
        {
            var cached = Volatile.Read(ref Table[set + way]);
            if (cached is not null && string.Equals(cached, value, StringComparison.Ordinal))
            {
                return ToFront(set, way, cached);
            }
        }

        Insert(set, value);
        return value;
    }

    /// <summary>
    /// Empties the table, after a mass deletion: what it holds then are mostly the deleted objects' names and uids, which
    /// it alone keeps alive. Values still in use re-enter as they are next read (at most one more copy each).
    /// </summary>
    public static void Clear() => Array.Clear(Table);

    /// <summary><paramref name="value"/> shared, or null.</summary>
    public static string? ShareOrNull(string? value) => value is null ? null : Share(value);

    /// <summary>The first slot of the value's set.</summary>
    private static int Set(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return (hash.ToHashCode() & (Sets - 1)) * Ways;
    }

    /// <summary>Puts <paramref name="value"/> at the front of its set; the last one leaves.</summary>
    private static void Insert(int set, string value) => ToFront(set, Ways - 1, value);

    /// <summary>
    /// Moves the value in slot <paramref name="way"/> (or a newcomer replacing it) to the front of the set, shifting the
    /// ones before it back. Unlocked: a race can leave a value twice or drop one, never put a wrong one in a slot.
    /// </summary>
    private static string ToFront(int set, int way, string value)
    {
        for (var i = way; i > 0; i--)
        {
            Volatile.Write(ref Table[set + i], Volatile.Read(ref Table[set + i - 1]));
        }

        Volatile.Write(ref Table[set], value);
        return value;
    }
}
