using System.Collections.Frozen;

namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>google/protobuf/descriptor.proto <c>FieldDescriptorProto.Type</c>.</summary>
internal enum ProtoType
{
    Double = 1, Float = 2, Int64 = 3, UInt64 = 4, Int32 = 5, Fixed64 = 6, Fixed32 = 7, Bool = 8, String = 9, Group = 10,
    Message = 11, Bytes = 12, UInt32 = 13, Enum = 14, SFixed32 = 15, SFixed64 = 16, SInt32 = 17, SInt64 = 18,
}

/// <summary>The messages whose Go types marshal to JSON by hand rather than field by field.</summary>
internal enum SpecialMessage
{
    None,
    Time,
    MicroTime,
    Duration,
    Quantity,
    IntOrString,
    RawExtension,
    FieldsV1,

    /// <summary>A named string slice wrapped for protobuf (<c>ExtraValue</c>, <c>Verbs</c>): a JSON array.</summary>
    StringList,
}

internal sealed class ProtoField
{
    public required string Name { get; init; }
    public required int Number { get; init; }
    public required ProtoType Type { get; init; }
    public string? TypeName { get; init; }
    public required bool Repeated { get; init; }

    /// <summary>
    /// gogoproto.nullable (extension 65001, true unless the descriptor says false): a Go pointer, slice or map, present
    /// on the wire only when set. A non-nullable field is a Go value, always marshalled, its zero value the same as unset.
    /// </summary>
    public required bool Nullable { get; init; }

    /// <summary>gogoproto.customname (65004): the Go field name, which the gogo error texts use.</summary>
    public required string GoName { get; init; }

    /// <summary>The field's place in <see cref="ProtoMessage.Fields"/>.</summary>
    public required int Index { get; init; }

    public ProtoMessage? Message { get; internal set; }

    /// <summary>An embedded Go struct tagged <c>json:",inline"</c>: its fields are the parent's in JSON.</summary>
    public bool Inline { get; internal set; }

    public bool IsMap => Repeated && Message is { IsMapEntry: true };
}

internal sealed class ProtoMessage
{
    public required string FullName { get; init; }
    public required string Name { get; init; }
    public required string Package { get; init; }
    public required bool IsMapEntry { get; init; }

    /// <summary>In declaration order, which go-to-protobuf keeps as the Go struct's (and so the JSON's) field order.</summary>
    public required IReadOnlyList<ProtoField> Fields { get; init; }

    public IReadOnlyList<ProtoField> ByAscendingNumber { get; internal set; } = [];
    public FrozenDictionary<int, ProtoField> ByNumber { get; internal set; } = FrozenDictionary<int, ProtoField>.Empty;
    public SpecialMessage Special { get; internal set; }
}

/// <summary>
/// The messages of a FileDescriptorSet, read with <see cref="WireReader"/> (google/protobuf/descriptor.proto field
/// numbers), linked by their fully qualified names. <see cref="Kubernetes"/> is the set this project ships: the
/// compiled descriptors of k8s.io/api and k8s.io/apimachinery v1.32.4 as kubectl v1.32.4 itself carries them (see
/// proto/README.md for how they were taken).
/// <para>
/// Why compiled descriptors rather than .proto text parsed at startup (protobuf-net.Reflection) or a set made with
/// protoc: they load with the few readers below, with no package, parser or native tool; they keep the gogoproto
/// options (<c>nullable</c>, <c>customname</c>) that tell a Go value from a Go pointer, on which both Go's JSON
/// mapping and the byte layout of Go's marshalling depend; and being kubectl's own, a test can prove them identical
/// to what the client on the wire uses.
/// </para>
/// </summary>
internal sealed class ProtoSchema
{
    private const string ResourceName = "Vers.LocalCluster.Api.Protobuf.kubernetes.protoset";
    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1";

    private static readonly Lazy<ProtoSchema> Shipped = new(() =>
    {
        using var stream = typeof(ProtoSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return new ProtoSchema(bytes.ToArray());
    });

    /// <summary>
    /// Fields that are Go embedded structs tagged <c>json:",inline"</c> in k8s.io/api types.go (Volume.VolumeSource,
    /// Probe.ProbeHandler, the LocalObjectReference of the key selectors and projections, …): the descriptor names them
    /// like any other field, so they are listed here by field name and message name.
    /// </summary>
    private static readonly FrozenSet<(string Field, string Type)> InlineFields = new[]
    {
        ("volumeSource", "VolumeSource"), ("persistentVolumeSource", "PersistentVolumeSource"), ("handler", "ProbeHandler"),
        ("ephemeralContainerCommon", "EphemeralContainerCommon"), ("localObjectReference", "LocalObjectReference"),
        ("ingressRuleValue", "IngressRuleValue"), ("rule", "Rule"), ("ruleWithOperations", "RuleWithOperations"),
        ("deviceConfiguration", "DeviceConfiguration"),
    }.ToFrozenSet();

    /// <summary>The meta.k8s.io kinds every group version also serves (metav1.AddToGroupVersion and the v1 List).</summary>
    private static readonly FrozenSet<string> SharedMetaKinds = new[] { "Status", "DeleteOptions", "WatchEvent", "List" }.ToFrozenSet();

    private readonly FrozenDictionary<string, ProtoMessage> _messages;
    private readonly FrozenSet<string> _packages;

    public static ProtoSchema Kubernetes => Shipped.Value;

    public ProtoSchema(ReadOnlySpan<byte> fileDescriptorSet)
    {
        var messages = new Dictionary<string, ProtoMessage>(StringComparer.Ordinal);
        var files = new List<string>();
        var set = new WireReader(fileDescriptorSet, "FileDescriptorSet");
        while (!set.End)
        {
            var (field, type) = set.ReadTag();
            if (field == 1 && type == WireType.Bytes)
            {
                files.Add(ReadFile(set.ReadBytes(), messages));
            }
            else
            {
                set.Skip(type);
            }
        }

        foreach (var message in messages.Values)
        {
            foreach (var field in message.Fields)
            {
                if (field.Type == ProtoType.Message)
                {
                    field.Message = messages.GetValueOrDefault(field.TypeName?.TrimStart('.') ?? "")
                        ?? throw new InvalidOperationException($"{message.FullName}.{field.Name}: type {field.TypeName} is not in the descriptor set");
                    field.Inline = InlineFields.Contains((field.Name, field.Message.Name));
                }
            }

            message.ByAscendingNumber = [.. message.Fields.OrderBy(f => f.Number)];
            message.ByNumber = message.Fields.ToFrozenDictionary(f => f.Number);
            message.Special = SpecialOf(message);
        }

        _messages = messages.ToFrozenDictionary(StringComparer.Ordinal);
        _packages = messages.Values.Select(m => m.Package).ToFrozenSet(StringComparer.Ordinal);
        Files = files;
    }

    /// <summary>The .proto file names the set describes, in the set's order.</summary>
    public IReadOnlyList<string> Files { get; }

    public ProtoMessage? Message(string fullName) => _messages.GetValueOrDefault(fullName);

    /// <summary>
    /// The message of a kind: k8s.io/api/&lt;group&gt;/&lt;version&gt; for the first label of the group (core for the
    /// legacy group), meta/v1 for meta.k8s.io and for the kinds every group version shares (Status, DeleteOptions, …).
    /// A message is a kind when its field 1 is <c>metadata</c>, as every top-level API object's is.
    /// </summary>
    public ProtoMessage? Kind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/');
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        if (version.Length == 0 || kind.Length == 0 || version.Contains('.') || kind.Contains('.'))
        {
            return null;
        }

        var package = group switch
        {
            "" => $"k8s.io.api.core.{version}",
            "meta.k8s.io" => $"k8s.io.apimachinery.pkg.apis.meta.{version}",
            _ => $"k8s.io.api.{group.Split('.')[0]}.{version}",
        };
        if (!_packages.Contains(package))
        {
            return null;
        }

        if (Message($"{package}.{kind}") is { } own && (own.ByNumber.GetValueOrDefault(1)?.Name == "metadata" || package == Meta && SharedMetaKinds.Contains(kind)))
        {
            return own;
        }

        return version == "v1" && SharedMetaKinds.Contains(kind) ? Message($"{Meta}.{kind}") : null;
    }

    private static SpecialMessage SpecialOf(ProtoMessage m) => m.FullName switch
    {
        Meta + ".Time" => SpecialMessage.Time,
        Meta + ".MicroTime" => SpecialMessage.MicroTime,
        Meta + ".Duration" => SpecialMessage.Duration,
        Meta + ".FieldsV1" => SpecialMessage.FieldsV1,
        Meta + ".Verbs" => SpecialMessage.StringList,
        "k8s.io.apimachinery.pkg.api.resource.Quantity" or "k8s.io.apimachinery.pkg.api.resource.QuantityValue" => SpecialMessage.Quantity,
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => SpecialMessage.IntOrString,
        "k8s.io.apimachinery.pkg.runtime.RawExtension" => SpecialMessage.RawExtension,
        _ when m.Name == "ExtraValue" => SpecialMessage.StringList,
        _ => SpecialMessage.None,
    };

    // FileDescriptorProto: name = 1, package = 2, message_type = 4.
    private static string ReadFile(ReadOnlySpan<byte> data, Dictionary<string, ProtoMessage> messages)
    {
        var name = "";
        var package = "";
        var reader = new WireReader(data, "FileDescriptorProto");
        var bodies = new List<byte[]>();
        while (!reader.End)
        {
            switch (reader.ReadTag())
            {
                case (1, WireType.Bytes):
                    name = System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case (2, WireType.Bytes):
                    package = System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case (4, WireType.Bytes):
                    bodies.Add(reader.ReadBytes().ToArray());
                    break;
                case var (_, type):
                    reader.Skip(type);
                    break;
            }
        }

        foreach (var body in bodies)
        {
            ReadMessage(body, package, package, messages);
        }

        return name;
    }

    // DescriptorProto: name = 1, field = 2, nested_type = 3, options = 7 (MessageOptions.map_entry = 7).
    private static void ReadMessage(ReadOnlySpan<byte> data, string scope, string package, Dictionary<string, ProtoMessage> messages)
    {
        var name = "";
        var fields = new List<ProtoField>();
        var nested = new List<byte[]>();
        var mapEntry = false;
        var reader = new WireReader(data, "DescriptorProto");
        while (!reader.End)
        {
            switch (reader.ReadTag())
            {
                case (1, WireType.Bytes):
                    name = System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case (2, WireType.Bytes):
                    fields.Add(ReadField(reader.ReadBytes(), fields.Count));
                    break;
                case (3, WireType.Bytes):
                    nested.Add(reader.ReadBytes().ToArray());
                    break;
                case (7, WireType.Bytes):
                    mapEntry = Options(reader.ReadBytes()).GetValueOrDefault(7) is ulong v && v != 0;
                    break;
                case var (_, type):
                    reader.Skip(type);
                    break;
            }
        }

        var fullName = $"{scope}.{name}";
        messages[fullName] = new ProtoMessage { FullName = fullName, Name = name, Package = package, IsMapEntry = mapEntry, Fields = fields };
        foreach (var body in nested)
        {
            ReadMessage(body, fullName, package, messages);
        }
    }

    // FieldDescriptorProto: name = 1, number = 3, label = 4 (3 = repeated), type = 5, type_name = 6, options = 8.
    private static ProtoField ReadField(ReadOnlySpan<byte> data, int index)
    {
        string name = "", typeName = "";
        int number = 0, label = 0, type = 0;
        Dictionary<int, object> options = [];
        var reader = new WireReader(data, "FieldDescriptorProto");
        while (!reader.End)
        {
            switch (reader.ReadTag())
            {
                case (1, WireType.Bytes):
                    name = System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case (3, WireType.Varint):
                    number = (int)reader.ReadVarint();
                    break;
                case (4, WireType.Varint):
                    label = (int)reader.ReadVarint();
                    break;
                case (5, WireType.Varint):
                    type = (int)reader.ReadVarint();
                    break;
                case (6, WireType.Bytes):
                    typeName = System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case (8, WireType.Bytes):
                    options = Options(reader.ReadBytes());
                    break;
                case var (_, wire):
                    reader.Skip(wire);
                    break;
            }
        }

        return new ProtoField
        {
            Name = name,
            Number = number,
            Index = index,
            Type = (ProtoType)type,
            TypeName = typeName.Length == 0 ? null : typeName,
            Repeated = label == 3,
            Nullable = options.GetValueOrDefault(65001) is not ulong nullable || nullable != 0,
            GoName = options.GetValueOrDefault(65004) as string ?? char.ToUpperInvariant(name[0]) + name[1..],
        };
    }

    /// <summary>The varint and string options of an options message, by field number (the gogoproto extensions among them).</summary>
    private static Dictionary<int, object> Options(ReadOnlySpan<byte> data)
    {
        var result = new Dictionary<int, object>();
        var reader = new WireReader(data, "Options");
        while (!reader.End)
        {
            var (field, type) = reader.ReadTag();
            switch (type)
            {
                case WireType.Varint:
                    result[field] = reader.ReadVarint();
                    break;
                case WireType.Bytes:
                    result[field] = System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return result;
    }
}
