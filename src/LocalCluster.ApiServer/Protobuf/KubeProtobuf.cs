using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>
/// The Kubernetes protobuf wire format of the built-in kinds, to and from the JSON objects the server works with.
/// An object travels as k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go <c>Serializer</c> writes it:
/// the 4 magic bytes <c>k8s\0</c>, then a <c>runtime.Unknown</c> message {typeMeta{apiVersion = 1, kind = 2} = 1,
/// raw = 2, contentEncoding = 3, contentType = 4} whose raw is the object's own message. The messages are those of
/// the descriptors in <see cref="ProtoSchema.Kubernetes"/>; custom resources have none, as in a real cluster.
/// </summary>
internal static class KubeProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    /// <summary>The Content-Type of a watch stream of <see cref="EncodeWatchEvent"/> frames.</summary>
    public const string WatchMediaType = MediaType + ";stream=watch";

    /// <summary>protobuf.go <c>protoEncodingPrefix</c>: "k8s" and the encoding style 0 (a runtime.Unknown follows).</summary>
    public static ReadOnlySpan<byte> Prefix => "k8s\0"u8;

    // The scheme named in runtime.notRegisteredErr by kube-apiserver (k8s.io/kubernetes/pkg/api/legacyscheme).
    private const string SchemeName = "pkg/api/legacyscheme/scheme.go:30";

    /// <summary>
    /// The object in a protobuf body, as a JSON object with its kind and apiVersion from the envelope first. Throws
    /// <see cref="KubeProtobufException"/> with the apiserver's decode error for what it cannot read.
    /// </summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body) => DecodeEnvelope(body, 0);

    /// <summary>Whether <see cref="Encode"/> knows the message of the kind (the built-in kinds, their lists, Status).</summary>
    public static bool CanEncode(string apiVersion, string kind) => ProtoSchema.Kubernetes.Kind(apiVersion, kind) is not null;

    /// <summary>
    /// The object in the protobuf envelope, by its apiVersion and kind, laid out byte for byte as the apiserver would
    /// write the Go object it decodes to. Throws <see cref="KubeProtobufException"/> for a kind <see cref="CanEncode"/>
    /// rejects or a value of the wrong JSON type.
    /// </summary>
    public static byte[] Encode(JsonObject obj)
    {
        var apiVersion = obj["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var av) ? av : "";
        var kind = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var kv) ? kv : "";
        var message = ProtoSchema.Kubernetes.Kind(apiVersion, kind) ?? throw NotRegistered(apiVersion, kind);
        var raw = new WireWriter();
        JsonToProto.Object(raw, message, obj, 0);
        return Envelope(apiVersion, kind, raw.Written);
    }

    /// <summary>
    /// One frame of a protobuf watch stream: a 4-byte big-endian length, then a meta/v1 WatchEvent{type = 1,
    /// object = 2} whose object's raw is the object in the envelope. As kube-apiserver frames it
    /// (runtime/serializer/codec_factory.go: the stream serializer of protobuf is the raw serializer with
    /// <c>LengthDelimitedFramer</c>; the embedded object is encoded by the enveloping serializer), the WatchEvent itself
    /// carries no envelope: client-go's watch decoder reads it with <c>RawSerializer</c>.
    /// </summary>
    public static byte[] EncodeWatchEvent(string type, JsonObject obj)
    {
        var rawExtension = new WireWriter();
        rawExtension.BytesField(1, Encode(obj));
        var watchEvent = new WireWriter();
        watchEvent.StringField(1, type);
        watchEvent.BytesField(2, rawExtension.Written);
        var frame = new byte[4 + watchEvent.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)watchEvent.Length);
        watchEvent.Written.CopyTo(frame.AsSpan(4));
        return frame;
    }

    // protobuf.go Serializer.Decode: the prefix checks, runtime.Unknown, the kind checks, then the object's message.
    internal static JsonObject DecodeEnvelope(ReadOnlySpan<byte> body, int depth)
    {
        if (body.IsEmpty)
        {
            throw new KubeProtobufException("empty data");
        }

        if (!body.StartsWith(Prefix))
        {
            throw new KubeProtobufException($"provided data does not appear to be a protobuf message, expected prefix [{string.Join(' ', Prefix.ToArray())}]");
        }

        if (body.Length == Prefix.Length)
        {
            throw new KubeProtobufException("empty body");
        }

        string apiVersion = "", kind = "";
        var raw = ReadOnlySpan<byte>.Empty;
        var unknown = new WireReader(body[Prefix.Length..], "Unknown");
        while (!unknown.End)
        {
            var (field, wire) = unknown.ReadTag();
            if (field is >= 1 and <= 4 && wire != WireType.Bytes)
            {
                throw unknown.WrongWireType(wire, field switch { 1 => "TypeMeta", 2 => "Raw", 3 => "ContentEncoding", _ => "ContentType" });
            }

            switch (field)
            {
                case 1:
                    (apiVersion, kind) = TypeMeta(unknown.ReadBytes());
                    break;
                case 2:
                    raw = unknown.ReadBytes();
                    break;
                default:
                    unknown.Skip(wire);
                    break;
            }
        }

        var typeMeta = $"runtime.TypeMeta{{APIVersion:\"{apiVersion}\", Kind:\"{kind}\"}}";
        if (kind.Length == 0)
        {
            throw new KubeProtobufException($"Object 'Kind' is missing in '{typeMeta}'") { ApiVersion = apiVersion };
        }

        if (apiVersion.Length == 0)
        {
            throw new KubeProtobufException($"Object 'apiVersion' is missing in '{typeMeta}'") { Kind = kind };
        }

        var message = ProtoSchema.Kubernetes.Kind(apiVersion, kind) ?? throw NotRegistered(apiVersion, kind);
        JsonObject fields;
        try
        {
            fields = ProtoToJson.Object(message, raw, depth + 1);
        }
        catch (KubeProtobufException e)
        {
            throw new KubeProtobufException(e.Message) { Kind = kind, ApiVersion = apiVersion };
        }

        var result = new JsonObject { ["kind"] = kind, ["apiVersion"] = apiVersion };
        var properties = fields.ToList();
        fields.Clear();
        foreach (var (key, value) in properties)
        {
            result[key] = value;
        }

        return result;
    }

    // runtime.Unknown.Marshal: typeMeta (always), raw (when not nil), contentEncoding and contentType (always, empty).
    private static byte[] Envelope(string apiVersion, string kind, ReadOnlySpan<byte> raw)
    {
        var typeMeta = new WireWriter();
        typeMeta.StringField(1, apiVersion);
        typeMeta.StringField(2, kind);
        var unknown = new WireWriter();
        unknown.Raw(Prefix);
        unknown.BytesField(1, typeMeta.Written);
        unknown.BytesField(2, raw);
        unknown.StringField(3, "");
        unknown.StringField(4, "");
        return unknown.ToArray();
    }

    // runtime.TypeMeta: apiVersion = 1, kind = 2.
    private static (string ApiVersion, string Kind) TypeMeta(ReadOnlySpan<byte> data)
    {
        string apiVersion = "", kind = "";
        var reader = new WireReader(data, "TypeMeta");
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            if (field is 1 or 2 && wire != WireType.Bytes)
            {
                throw reader.WrongWireType(wire, field == 1 ? "APIVersion" : "Kind");
            }

            switch (field)
            {
                case 1:
                    apiVersion = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case 2:
                    kind = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return (apiVersion, kind);
    }

    private static KubeProtobufException NotRegistered(string apiVersion, string kind) =>
        new($"no kind \"{kind}\" is registered for version \"{apiVersion}\" in scheme \"{SchemeName}\"") { Kind = kind, ApiVersion = apiVersion };
}
