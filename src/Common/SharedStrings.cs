using System.Text;

namespace Vers.Common;

/// <summary>
/// Shared source, compiled into Vers.Kube and Vers.LocalCluster.ApiServer as an internal type of each (the API
/// server references no Vers assembly): one table per assembly, so a value is held once by the store and once by
/// the informers rather than once per holder.
/// One lossy table of strings, so that the same value held by many objects — a namespace, a
/// label key, an apiVersion, a finalizer, and an object's name and uid as the API server's store, its watch history
/// and every informer cache hold them — is one instance instead of one per holder. Values are looked up by their
/// UTF-8 (ASCII) bytes; a colliding value evicts the one in its slot, so the table never grows and never keeps a
/// value alive for long that nothing else uses. Non-ASCII and long values pass through unshared.
/// </summary>
internal static class SharedStrings
{
    internal const int MaxLength = 96;
    private const int Slots = 65536; // power of two: 512 KiB of references

    private static readonly string?[] Table = new string?[Slots];

    /// <summary>The shared instance of <paramref name="utf8"/>'s value (a new one when none is in the table).</summary>
    public static string Share(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength || !Ascii.IsValid(utf8))
        {
            return Encoding.UTF8.GetString(utf8);
        }

        ref var slot = ref Table[Slot(utf8)];
        var cached = Volatile.Read(ref slot);
        if (cached is not null && cached.Length == utf8.Length && Ascii.Equals(utf8, cached))
        {
            return cached;
        }

        var value = Encoding.ASCII.GetString(utf8);
        Volatile.Write(ref slot, value);
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
        ref var slot = ref Table[Slot(utf8)];
        var cached = Volatile.Read(ref slot);
        if (cached is not null && string.Equals(cached, value, StringComparison.Ordinal))
        {
            return cached;
        }

        Volatile.Write(ref slot, value);
        return value;
    }

    /// <summary><paramref name="value"/> shared, or null.</summary>
    public static string? ShareOrNull(string? value) => value is null ? null : Share(value);

    private static int Slot(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode() & (Slots - 1);
    }
}
