using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.Kube.Tests.Client;

public sealed class WatchEventTests
{
    private static ReadOnlySequence<byte> Line(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>The same bytes cut into segments of <paramref name="size"/> bytes, as a pipe may hand them over.</summary>
    private static ReadOnlySequence<byte> Segmented(string text, int size)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Segment? first = null, last = null;
        for (var i = 0; i < bytes.Length; i += size)
        {
            var chunk = bytes.AsMemory(i, Math.Min(size, bytes.Length - i));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    [Fact]
    public void An_event_decodes_to_its_type_and_object()
    {
        Assert.True(WatchEvent<V1ConfigMap>.TryDecode(
            Line("""{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"5"},"data":{"k":"v"}}}"""),
            out var decoded));

        Assert.Equal(WatchEventType.Modified, decoded.Type);
        Assert.Equal("a", decoded.Object.Metadata.Name);
        Assert.Equal("v", decoded.Object.Data["k"]);
    }

    [Fact]
    public void The_type_may_come_after_the_object()
    {
        Assert.True(WatchEvent<V1ConfigMap>.TryDecode(Line("""{"object":{"metadata":{"name":"a"}},"extra":[1,{"x":2}],"type":"DELETED"}"""), out var decoded));

        Assert.Equal(WatchEventType.Deleted, decoded.Type);
        Assert.Equal("a", decoded.Object.Metadata.Name);
    }

    [Fact]
    public void An_event_split_across_buffer_segments_decodes_the_same()
    {
        const string text = """{"type":"ADDED","object":{"apiVersion":"v1","kind":"Thing","metadata":{"name":"split-across-segments"},"spec":{"text":"a \"quoted\" é value","n":12345}}}""";
        Assert.True(WatchEvent<GenericObject>.TryDecode(Segmented(text, 7), out var decoded));

        Assert.Equal("split-across-segments", decoded.Object.Metadata.Name);
        Assert.Equal("a \"quoted\" é value", (string?)decoded.Object.Spec!["text"]);
        Assert.Equal(12345, (int)decoded.Object.Spec["n"]!);
    }

    [Fact]
    public void A_bookmark_carries_only_the_resourceVersion()
    {
        Assert.True(WatchEvent<V1ConfigMap>.TryDecode(Line("""{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"42"}}}"""), out var decoded));

        Assert.Equal(WatchEventType.Bookmark, decoded.Type);
        Assert.Equal("42", decoded.Object.Metadata.ResourceVersion);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \r")]
    public void A_blank_line_is_no_event(string line)
    {
        Assert.False(WatchEvent<V1ConfigMap>.TryDecode(Line(line), out _));
    }

    [Fact]
    public void An_ERROR_event_is_thrown_with_its_status()
    {
        var e = Assert.Throws<KubeApiException>(() => WatchEvent<V1ConfigMap>.TryDecode(
            Line("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}"""),
            out _));

        Assert.True(e.IsGone);
        Assert.Equal(HttpStatusCode.Gone, e.StatusCode);
    }

    [Theory]
    [InlineData("""{"type":"ADDED"}""")]
    [InlineData("""{"type":"SOMETHING","object":{}}""")]
    [InlineData("""[1]""")]
    public void A_malformed_event_is_a_JSON_error(string line)
    {
        Assert.ThrowsAny<JsonException>(() => WatchEvent<V1ConfigMap>.TryDecode(Line(line), out _));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
