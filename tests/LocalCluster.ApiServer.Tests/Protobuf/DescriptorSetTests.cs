using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.Tests.Protobuf;

/// <summary>
/// The descriptor set the codec ships is the one kubectl v1.32.4 compiles in: every generated.pb.go registers its
/// FileDescriptorProto gzipped (<c>fileDescriptor_&lt;hash&gt;</c>), and those are taken out of the installed kubectl
/// binary. Set VERS_UPDATE_PROTOSET=1 to rewrite the checked-in file from the kubectl on this machine (after changing
/// <see cref="Files"/>, say).
/// </summary>
public sealed class DescriptorSetTests
{
    private const string Protoset = "src/LocalCluster.ApiServer/Protobuf/proto/kubernetes-1.32.4.protoset";

    /// <summary>The files shipped, each after those it imports (gogo.proto aside).</summary>
    private static readonly string[] Files =
    [
        "k8s.io/apimachinery/pkg/runtime/schema/generated.proto",
        "k8s.io/apimachinery/pkg/runtime/generated.proto",
        "k8s.io/apimachinery/pkg/util/intstr/generated.proto",
        "k8s.io/apimachinery/pkg/api/resource/generated.proto",
        "k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto",
        .. new[] { "core", "apps", "rbac", "coordination", "authorization", "authentication", "events", "storage", "policy", "networking" }
            .Select(group => $"k8s.io/api/{group}/v1/generated.proto"),
    ];

    [Fact]
    public async Task ShippedDescriptorsAreThoseKubectl1324CompilesIn()
    {
        if (!File.Exists(KubectlHarness.Kubectl))
        {
            Assert.Skip($"{KubectlHarness.Kubectl} is not installed on this machine");
        }

        var version = await ClientVersionAsync();
        if (!version.StartsWith("v1.32.4", StringComparison.Ordinal))
        {
            Assert.Skip($"the shipped descriptors are kubectl v1.32.4's; this kubectl is {version}");
        }

        var fromKubectl = Extract(File.ReadAllBytes(KubectlHarness.Kubectl), Files.ToHashSet());
        var set = new WireWriter();
        foreach (var name in Files)
        {
            Assert.True(fromKubectl.ContainsKey(name), $"kubectl does not carry {name}");
            set.BytesField(1, fromKubectl[name]);
        }

        if (Environment.GetEnvironmentVariable("VERS_UPDATE_PROTOSET") == "1")
        {
            File.WriteAllBytes(KubectlHarness.RepoFile(Protoset), set.ToArray());
        }

        var shipped = File.ReadAllBytes(KubectlHarness.RepoFile(Protoset));
        Assert.True(shipped.AsSpan().SequenceEqual(set.Written), "the shipped descriptor set differs from kubectl's (VERS_UPDATE_PROTOSET=1 rewrites it)");
    }

    [Fact]
    public void EmbeddedSetHoldsTheListedFiles() => Assert.Equal(Files, ProtoSchema.Kubernetes.Files);

    /// <summary>
    /// The FileDescriptorProtos named <paramref name="wanted"/> in a Go binary: each gzip member Go's compress/gzip
    /// wrote (header 1f 8b 08 00 00000000 00 ff-or-other OS, no optional fields) is inflated on its own.
    /// </summary>
    private static Dictionary<string, byte[]> Extract(byte[] binary, IReadOnlySet<string> wanted)
    {
        var found = new Dictionary<string, byte[]>();
        byte[] header = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0];
        for (var i = binary.AsSpan().IndexOf(header); i >= 0; i = NextAfter(binary, header, i))
        {
            try
            {
                using var inflate = new DeflateStream(new MemoryStream(binary, i + 10, binary.Length - i - 10), CompressionMode.Decompress);
                using var output = new MemoryStream();
                inflate.CopyTo(output);
                var bytes = output.ToArray();
                if (NameOf(bytes) is { } name && wanted.Contains(name))
                {
                    found.TryAdd(name, bytes);
                }
            }
            catch (InvalidDataException)
            {
                // Not a deflate stream: the header bytes occurred by chance.
            }
        }

        return found;
    }

    private static int NextAfter(byte[] data, byte[] pattern, int i)
    {
        var next = data.AsSpan(i + 1).IndexOf(pattern);
        return next < 0 ? -1 : i + 1 + next;
    }

    // FileDescriptorProto.name = 1, when the bytes are one.
    private static string? NameOf(byte[] bytes)
    {
        try
        {
            var reader = new WireReader(bytes, "FileDescriptorProto");
            while (!reader.End)
            {
                var (field, type) = reader.ReadTag();
                if (field == 1 && type == WireType.Bytes)
                {
                    return Encoding.UTF8.GetString(reader.ReadBytes());
                }

                reader.Skip(type);
            }
        }
        catch (KubeProtobufException)
        {
        }

        return null;
    }

    private static async Task<string> ClientVersionAsync()
    {
        var psi = new ProcessStartInfo(KubectlHarness.Kubectl, ["version", "--client", "-o", "json"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var text = await p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await p.WaitForExitAsync(TestContext.Current.CancellationToken);
        return System.Text.Json.Nodes.JsonNode.Parse(text)?["clientVersion"]?["gitVersion"]?.GetValue<string>() ?? "";
    }
}
