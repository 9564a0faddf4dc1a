using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.Tests.Protobuf;

/// <summary>How bodies decode: Go's JSON mapping of presence, unknown fields, and the apiserver's errors.</summary>
public sealed class DecodeTests
{
    private static byte[] Envelope(string apiVersion, string kind, ReadOnlySpan<byte> raw)
    {
        var typeMeta = new WireWriter();
        typeMeta.StringField(1, apiVersion);
        typeMeta.StringField(2, kind);
        var unknown = new WireWriter();
        unknown.Raw("k8s\0"u8);
        unknown.BytesField(1, typeMeta.Written);
        unknown.BytesField(2, raw);
        return unknown.ToArray();
    }

    private static KubeProtobufException Fails(byte[] body) => Assert.Throws<KubeProtobufException>(() => KubeProtobuf.Decode(body));

    [Fact]
    public void ZeroValuesOfGoValueFieldsAreLeftOutAsOmitemptyDoes()
    {
        // metadata{name="x", generateName="", generation=0}: non-pointer Go fields, so "" and 0 are "unset".
        var meta = new WireWriter();
        meta.StringField(1, "x");
        meta.StringField(2, "");
        meta.VarintField(7, 0);
        var ns = new WireWriter();
        ns.BytesField(1, meta.Written);
        var decoded = KubeProtobuf.Decode(Envelope("v1", "Namespace", ns.Written));
        Assert.Equal("""{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x"}}""", decoded.ToJsonString());
    }

    [Fact]
    public void ExplicitlySetEmptyValuesOfPointerFieldsAreKept()
    {
        var pvc = JsonNode.Parse("""
            {"kind":"PersistentVolumeClaim","apiVersion":"v1","metadata":{"name":"c","creationTimestamp":null},
             "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"volumeName":"","storageClassName":""},
             "status":{}}
            """)!.AsObject();
        var spec = KubeProtobuf.Decode(KubeProtobuf.Encode(pvc))["spec"]!.AsObject();
        Assert.Equal("", spec["storageClassName"]!.GetValue<string>());
        Assert.False(spec.ContainsKey("volumeName"));
    }

    [Fact]
    public void UnknownFieldNumbersAreSkipped()
    {
        var cm = new WireWriter();
        cm.VarintField(99, 12345);
        cm.Tag(100, WireType.Fixed32);
        cm.Fixed32(7);
        cm.Tag(101, WireType.Fixed64);
        cm.Fixed64(7);
        cm.Tag(102, WireType.StartGroup);
        cm.VarintField(1, 1);
        cm.Tag(102, WireType.EndGroup);
        var entry = new WireWriter();
        entry.StringField(1, "k");
        entry.StringField(2, "v");
        entry.StringField(3, "unknown in a map entry");
        cm.BytesField(2, entry.Written);
        cm.BytesField(103, "opaque"u8);
        var decoded = KubeProtobuf.Decode(Envelope("v1", "ConfigMap", cm.Written));
        Assert.Equal("""{"kind":"ConfigMap","apiVersion":"v1","data":{"k":"v"}}""", decoded.ToJsonString());
    }

    [Fact]
    public void UnknownKindIsAClearError()
    {
        var e = Fails(Envelope("example.com/v1", "Widget", []));
        Assert.Equal("no kind \"Widget\" is registered for version \"example.com/v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"", e.Message);
        Assert.False(KubeProtobuf.CanEncode("example.com/v1", "Widget"));
        Assert.Throws<KubeProtobufException>(() => KubeProtobuf.Encode(new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget" }));
    }

    [Fact]
    public void MessagesThatAreNotKindsAreNotDecodable()
    {
        Assert.False(KubeProtobuf.CanEncode("v1", "ObjectReference"));
        Assert.True(KubeProtobuf.CanEncode("apps/v1", "DeleteOptions"));
        Assert.True(KubeProtobuf.CanEncode("meta.k8s.io/v1", "Status"));
    }

    [Fact]
    public void BodyWithoutTheMagicPrefixFailsAsTheApiserverSays()
    {
        Assert.Equal("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]", Fails("{}"u8.ToArray()).Message);
        Assert.Equal("empty body", Fails("k8s\0"u8.ToArray()).Message);
    }

    [Fact]
    public void TruncatedBodyIsUnexpectedEof()
    {
        var body = KubeProtobuf.Encode(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["k"] = "v" } });
        Assert.Equal("unexpected EOF", Fails(body[..^6]).Message);
    }

    [Fact]
    public void WrongWireTypeNamesTheGoField()
    {
        var ns = new WireWriter();
        ns.VarintField(1, 5);
        var e = Fails(Envelope("v1", "Namespace", ns.Written));
        Assert.Equal("proto: wrong wireType = 0 for field ObjectMeta", e.Message);
        Assert.Equal("Namespace in version \"v1\" cannot be handled as a Namespace: proto: wrong wireType = 0 for field ObjectMeta", e.ForRequest("Namespace", []));
    }

    [Fact]
    public void MissingKindIsReportedAsTheSerializerDoes()
    {
        Assert.Equal("Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:\"v1\", Kind:\"\"}'", Fails(Envelope("v1", "", [])).Message);
    }

    [Fact]
    public void DeeplyNestedEnvelopesFailInsteadOfOverflowingTheStack()
    {
        var body = KubeProtobuf.Encode(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap" });
        for (var i = 0; i < 500; i++)
        {
            var raw = new WireWriter();
            raw.BytesField(1, body);
            var list = new WireWriter();
            list.BytesField(2, raw.Written);
            body = Envelope("v1", "List", list.Written);
        }

        Assert.Equal("proto: exceeded maximum recursion depth", Fails(body).Message);
    }

    [Fact]
    public void RawExtensionHoldingAnEnvelopeDecodesToTheObject()
    {
        var item = KubeProtobuf.Encode(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["k"] = "v" } });
        var raw = new WireWriter();
        raw.BytesField(1, item);
        var list = new WireWriter();
        list.BytesField(2, raw.Written);
        var decoded = KubeProtobuf.Decode(Envelope("v1", "List", list.Written));
        Assert.Equal("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"creationTimestamp":null},"data":{"k":"v"}}""", decoded["items"]![0]!.ToJsonString());
    }

    [Fact]
    public void WatchEventFrameIsALengthThenARawWatchEvent()
    {
        var obj = JsonNode.Parse("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","creationTimestamp":null},"data":{"k":"v"}}""")!.AsObject();
        var frame = KubeProtobuf.EncodeWatchEvent("ADDED", obj);
        Assert.Equal(frame.Length - 4, (int)BinaryPrimitives.ReadUInt32BigEndian(frame));
        var watchEvent = ProtoSchema.Kubernetes.Message("k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent")!;
        var decoded = ProtoToJson.Object(watchEvent, frame.AsSpan(4), 0);
        Assert.Equal("ADDED", decoded["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(obj, decoded["object"]), decoded.ToJsonString());
    }
}
