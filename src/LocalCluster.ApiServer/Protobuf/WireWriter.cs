using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>
/// Writes protobuf fields in the order they are given, as the gogo-generated <c>MarshalToSizedBuffer</c> functions of
/// k8s.io/api's generated.pb.go lay them out (ascending field numbers, proto2 scalars unpacked).
/// </summary>
internal sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public int Length => _buffer.WrittenCount;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Tag(int field, WireType type) => Varint(((ulong)field << 3) | (uint)type);

    public void Varint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _buffer.Advance(i);
    }

    public void Fixed32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void Fixed64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void Raw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>A length-delimited field: the tag, the length, the payload.</summary>
    public void BytesField(int field, ReadOnlySpan<byte> payload)
    {
        Tag(field, WireType.Bytes);
        Varint((ulong)payload.Length);
        _buffer.Write(payload);
    }

    public void StringField(int field, string value)
    {
        Tag(field, WireType.Bytes);
        var count = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)count);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(count);
    }

    public void VarintField(int field, ulong value)
    {
        Tag(field, WireType.Varint);
        Varint(value);
    }
}
