using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vers.Kube;

/// <summary>
/// Reads short strings through a small lossy cache, so an informer holding thousands of objects keeps one instance
/// of each recurring value (namespaces, label keys and values, kinds, apiVersions, condition types and reasons,
/// finalizers) instead of one per object, and a hit allocates nothing. Unique values (names, uids) just pass
/// through and are evicted by the next colliding string; the cache never grows.
/// </summary>
internal sealed class DedupingStringConverter : JsonConverter<string>
{
    private const int MaxBytes = 64;
    private const int Slots = 4096; // power of two

    private readonly string?[] _slots = new string?[Slots];

    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || reader.HasValueSequence || reader.ValueIsEscaped
            || reader.ValueSpan.Length > MaxBytes || !Ascii.IsValid(reader.ValueSpan))
        {
            return reader.GetString();
        }

        var utf8 = reader.ValueSpan;
        var slot = (int)((uint)HashCode(utf8) & (Slots - 1));
        var cached = Volatile.Read(ref _slots[slot]);
        if (cached is not null && Matches(cached, utf8))
        {
            return cached;
        }

        var value = Encoding.UTF8.GetString(utf8);
        Volatile.Write(ref _slots[slot], value);
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    /// <summary>Dictionary keys (label and annotation keys) too.</summary>
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options)!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static int HashCode(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode();
    }

    private static bool Matches(string cached, ReadOnlySpan<byte> utf8) => cached.Length == utf8.Length && Ascii.Equals(utf8, cached);
}
