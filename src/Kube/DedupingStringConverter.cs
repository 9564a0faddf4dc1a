using System.Text.Json;
using System.Text.Json.Serialization;
using Vers.Common;

namespace Vers.Kube;

/// <summary>
/// Reads strings through <see cref="SharedStrings"/>, so an informer holding thousands of objects keeps one instance
/// of each recurring value (namespaces, label keys and values, kinds, apiVersions, condition types and reasons,
/// finalizers) instead of one per object, and a hit allocates nothing. An object's own values (its name, uid, its
/// owner's uid) recur too: in the API server's store and in every informer of the process that caches it, and in each
/// new version of it, decoded moments apart; the table is large enough that they mostly still find the first copy.
/// </summary>
internal sealed class DedupingStringConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || reader.HasValueSequence || reader.ValueIsEscaped
            || reader.ValueSpan.Length > SharedStrings.MaxLength
            ? reader.GetString()
            : SharedStrings.Share(reader.ValueSpan);

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    /// <summary>Dictionary keys (label and annotation keys) too.</summary>
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options)!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
}
