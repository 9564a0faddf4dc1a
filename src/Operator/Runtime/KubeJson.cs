using System.Buffers;
using System.Text.Json;
using k8s;

namespace Vers.Operator.Runtime;

/// <summary>
/// KubernetesClient's JSON settings used on UTF-8 bytes directly: <see cref="KubernetesJson"/> only takes and
/// returns strings, which costs a UTF-16 copy and a transcoding each way on every request, event and deep copy.
/// </summary>
public static class KubeJson
{
    /// <summary>The very options <see cref="KubernetesJson"/> uses (its converters, naming and null handling).</summary>
    public static JsonSerializerOptions Options { get; } = Capture();

    public static T Deserialize<T>(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<T>(utf8, Options) ?? throw new JsonException($"null where a {typeof(T).Name} was expected");

    public static byte[] SerializeToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>
    /// A deep copy by a JSON round trip (so no field a future client version adds is forgotten), through a
    /// per-thread buffer. <see cref="GenericObject"/>s share their unread fields instead of copying them.
    /// </summary>
    public static T DeepCopy<T>(T value)
        where T : class
    {
        if (value is GenericObject generic)
        {
            return (T)(object)generic.DeepCopy();
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(writer, value, value.GetType(), Options);
        }

        var copy = JsonSerializer.Deserialize(buffer.WrittenSpan, value.GetType(), Options) as T
            ?? throw new JsonException($"the copy of a {value.GetType().Name} is null");
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null; // do not keep a huge buffer per thread
        }

        return copy;
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private static JsonSerializerOptions Capture()
    {
        JsonSerializerOptions? options = null;
        KubernetesJson.AddJsonOptions(o => options = o);
        return options!;
    }
}
