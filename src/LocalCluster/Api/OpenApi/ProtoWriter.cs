using System.Buffers.Binary;
using System.Text;

namespace Vers.LocalCluster.Api.OpenApi;

/// <summary>
/// The protobuf wire format for the few field kinds the gnostic OpenAPI v2 messages use (proto3: zero values and
/// empty strings are not written; a set sub-message is, even when empty).
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _bytes = new();

    public ProtoWriter String(int field, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Bytes(field, Encoding.UTF8.GetBytes(value));
        }

        return this;
    }

    public ProtoWriter Strings(int field, IEnumerable<string> values)
    {
        foreach (var v in values)
        {
            // Repeated strings keep empty elements: each is its own field.
            Bytes(field, Encoding.UTF8.GetBytes(v));
        }

        return this;
    }

    public ProtoWriter Bool(int field, bool value)
    {
        if (value)
        {
            Tag(field, 0);
            Varint(1);
        }

        return this;
    }

    /// <summary>A bool member of a oneof: written even when false, as its presence is the choice.</summary>
    public ProtoWriter OneofBool(int field, bool value)
    {
        Tag(field, 0);
        Varint(value ? 1UL : 0UL);
        return this;
    }

    public ProtoWriter Int64(int field, long value)
    {
        if (value != 0)
        {
            Tag(field, 0);
            Varint(unchecked((ulong)value));
        }

        return this;
    }

    public ProtoWriter Double(int field, double value)
    {
        if (value != 0)
        {
            Tag(field, 1);
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(b, value);
            _bytes.Write(b);
        }

        return this;
    }

    public ProtoWriter Message(int field, ProtoWriter? message)
    {
        if (message is not null)
        {
            Bytes(field, message.ToArray());
        }

        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    private void Bytes(int field, byte[] value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        _bytes.Write(value);
    }

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.WriteByte((byte)value);
    }
}
