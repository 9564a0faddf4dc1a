using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.OpenApi;

/// <summary>
/// The proto3 field rules the gnostic OpenAPI v2 messages need (zero values and empty strings are not written; a set
/// sub-message is, even when empty), over the protobuf codec's <see cref="WireWriter"/>.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly WireWriter _wire = new();

    public ProtoWriter String(int field, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _wire.StringField(field, value);
        }

        return this;
    }

    public ProtoWriter Strings(int field, IEnumerable<string> values)
    {
        foreach (var v in values)
        {
            // Repeated strings keep empty elements: each is its own field.
            _wire.StringField(field, v);
        }

        return this;
    }

    public ProtoWriter Bool(int field, bool value)
    {
        if (value)
        {
            _wire.VarintField(field, 1);
        }

        return this;
    }

    /// <summary>A bool member of a oneof: written even when false, as its presence is the choice.</summary>
    public ProtoWriter OneofBool(int field, bool value)
    {
        _wire.VarintField(field, value ? 1UL : 0UL);
        return this;
    }

    public ProtoWriter Int64(int field, long value)
    {
        if (value != 0)
        {
            _wire.VarintField(field, unchecked((ulong)value));
        }

        return this;
    }

    public ProtoWriter Double(int field, double value)
    {
        if (value != 0)
        {
            _wire.Tag(field, WireType.Fixed64);
            _wire.Fixed64(BitConverter.DoubleToUInt64Bits(value));
        }

        return this;
    }

    public ProtoWriter Message(int field, ProtoWriter? message)
    {
        if (message is not null)
        {
            _wire.BytesField(field, message._wire.Written);
        }

        return this;
    }

    public byte[] ToArray() => _wire.ToArray();
}
