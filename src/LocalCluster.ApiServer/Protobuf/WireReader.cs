namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>The wire types of a protobuf tag (google/protobuf encoding: varint, fixed64, length-delimited, groups, fixed32).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    Bytes = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// Reads one protobuf message's fields from a span, failing as the gogo-generated <c>Unmarshal</c> and
/// <c>skipGenerated</c> functions of k8s.io/api's generated.pb.go do (their error texts, for the same mistakes).
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> data, string message)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    /// <summary>The message's Go type name, used in the error texts.</summary>
    public readonly string Message => message;

    public readonly bool End => _pos >= _data.Length;

    /// <summary>The next field's number and wire type; group ends and field 0 fail as <c>Unmarshal</c> does.</summary>
    public (int Field, WireType Type) ReadTag()
    {
        var key = ReadVarint();
        var wireType = (int)(key & 7);
        var field = (long)(key >> 3);
        if (wireType == (int)WireType.EndGroup)
        {
            throw new KubeProtobufException($"proto: {message}: wiretype end group for non-group");
        }

        if (field <= 0 || field > int.MaxValue)
        {
            throw new KubeProtobufException($"proto: {message}: illegal tag {field} (wire type {wireType})");
        }

        return ((int)field, (WireType)wireType);
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (shift >= 64)
            {
                throw new KubeProtobufException("proto: integer overflow");
            }

            if (_pos >= _data.Length)
            {
                throw Eof();
            }

            var b = _data[_pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
    }

    public uint ReadFixed32()
    {
        if (_data.Length - _pos < 4)
        {
            throw Eof();
        }

        var v = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_data[_pos..]);
        _pos += 4;
        return v;
    }

    public ulong ReadFixed64()
    {
        if (_data.Length - _pos < 8)
        {
            throw Eof();
        }

        var v = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

    /// <summary>A length-delimited payload (string, bytes, message or packed scalars).</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if ((long)length < 0)
        {
            throw new KubeProtobufException("proto: negative length found during unmarshaling");
        }

        if (length > (ulong)(_data.Length - _pos))
        {
            throw Eof();
        }

        var payload = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return payload;
    }

    /// <summary>Passes over a field this schema does not know, as <c>skipGenerated</c> does (groups included).</summary>
    public void Skip(WireType type)
    {
        var depth = 0;
        while (true)
        {
            switch (type)
            {
                case WireType.Varint:
                    ReadVarint();
                    break;
                case WireType.Fixed64:
                    ReadFixed64();
                    break;
                case WireType.Fixed32:
                    ReadFixed32();
                    break;
                case WireType.Bytes:
                    ReadBytes();
                    break;
                case WireType.StartGroup:
                    depth++;
                    break;
                case WireType.EndGroup:
                    if (depth == 0)
                    {
                        throw new KubeProtobufException("proto: unexpected end of group");
                    }

                    depth--;
                    break;
                default:
                    throw new KubeProtobufException($"proto: illegal wireType {(int)type}");
            }

            if (depth == 0)
            {
                return;
            }

            var key = ReadVarint();
            type = (WireType)(int)(key & 7);
        }
    }

    /// <summary>The gogo error for a known field sent with another wire type.</summary>
    public readonly KubeProtobufException WrongWireType(WireType type, string goField) =>
        new($"proto: wrong wireType = {(int)type} for field {goField}");

    private static KubeProtobufException Eof() => new("unexpected EOF");
}
