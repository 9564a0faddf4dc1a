using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;

namespace Vers.Kube;

/// <summary>
/// KubernetesClient's JSON settings used on UTF-8 bytes directly: <see cref="KubernetesJson"/> only takes and
/// returns strings, which costs a UTF-16 copy and a transcoding each way on every request, event and deep copy.
/// </summary>
public static class KubeJson
{
    // One table for every cache in the process: the operator's, the simulator's and the fork API's informers decode the
    // same objects' names and uids from the same watch events moments apart.
    private static readonly DedupingStringConverter SharedStrings = new();

    /// <summary>The very options <see cref="KubernetesJson"/> uses (its converters, naming and null handling).</summary>
    public static JsonSerializerOptions Options { get; } = Capture();

    /// <summary>
    /// For reading only: <see cref="Options"/> that skip <c>metadata.managedFields</c> instead of decoding them,
    /// for callers that would drop them anyway (informers with the default transform). They are about half of
    /// what decoding a typed object allocates: each entry's fieldsV1 becomes its own JsonDocument.
    /// </summary>
    public static JsonSerializerOptions ReadWithoutManagedFields { get; } = new(Options)
    {
        // Cached objects repeat the same short strings over and over; one instance each is enough.
        Converters = { SharedStrings },
        TypeInfoResolver = Options.TypeInfoResolver!.WithAddedModifier(contract =>
        {
            if (contract.Type == typeof(V1ObjectMeta) && contract.Properties.FirstOrDefault(p => p.Name == "managedFields") is { } managedFields)
            {
                contract.Properties.Remove(managedFields);
            }
        }),
    };

    /// <summary>
    /// For reading into caches that keep managedFields (or transform objects otherwise): <see cref="Options"/> with the
    /// strings shared as in <see cref="ReadWithoutManagedFields"/>.
    /// </summary>
    public static JsonSerializerOptions ReadShared { get; } = new(Options) { Converters = { SharedStrings } };

    public static T Deserialize<T>(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<T>(utf8, Options) ?? throw new JsonException($"null where a {typeof(T).Name} was expected");

    /// <summary>By the value's runtime type, as <see cref="KubernetesJson.Serialize(object, JsonSerializerOptions)"/> does.</summary>
    public static byte[] SerializeToUtf8Bytes(object value) => JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Options);

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

    /// <summary>
    /// Empties this assembly's table of shared strings (<see cref="DedupingStringConverter"/>): for a host that has just
    /// deleted most of what its informers held, so the table stops keeping the deleted objects' names and uids alive.
    /// </summary>
    public static void ForgetSharedStrings() => Common.SharedStrings.Clear();
}
