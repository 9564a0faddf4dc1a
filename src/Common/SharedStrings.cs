using System.Text;

namespace Vers.Common;

/// <summary>
/// Shared source, compiled into Vers.Kube and Vers.LocalCluster.ApiServer as an internal type of each (the API
/// server references no Vers assembly): one table per assembly, so a value is held once by the store and once by
/// the informers rather than once per holder.
/// One lossy table of strings, so that the same value held by many objects — a namespace, a
/// label key, an apiVersion, a finalizer, and an object's name and uid as the API server's store, its watch history
/// and every informer cache hold them — is one instance instead of one per holder. Values are looked up by their
/// UTF-8 (ASCII) bytes in a set of <see cref="Ways"/> slots; a value missing from a full set evicts one of them in turn,
/// so the table never grows and never keeps a value alive for long that nothing else uses, and a value many objects
/// hold (an apiVersion, a kind, a namespace) is not pushed out by one colliding uid, as it was with one slot per hash:
/// at 50k objects that direct-mapped table of 64k slots held 7,000 copies of each of the fork mix's apiVersions.
/// Non-ASCII and long values pass through unshared.
/// </summary>
internal static class SharedStrings
{
    internal const int MaxLength = 96;
    private const int Sets = 65536; // power of two
    private const int Ways = 4; // 262,144 slots: 2 MiB of references

    private static readonly string?[] Table = new string?[Sets * Ways];

    // Which slot of a full set the next newcomer takes (races only make the choice less even).
    private static int s_victim;

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
                return cached;
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
                return cached;
            }
        }

        Insert(set, value);
        return value;
    }

    /// <summary><paramref name="value"/> shared, or null.</summary>
    public static string? ShareOrNull(string? value) => value is null ? null : Share(value);

    /// <summary>The first slot of the value's set.</summary>
    private static int Set(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return (hash.ToHashCode() & (Sets - 1)) * Ways;
    }

    /// <summary>Puts <paramref name="value"/> in an empty slot of its set, else in the set's slot whose turn it is.</summary>
    private static void Insert(int set, string value)
    {
        for (var way = 0; way < Ways; way++)
        {
            if (Volatile.Read(ref Table[set + way]) is null)
            {
                Volatile.Write(ref Table[set + way], value);
                return;
            }
        }

        Volatile.Write(ref Table[set + (++s_victim & (Ways - 1))], value);
    }
}
