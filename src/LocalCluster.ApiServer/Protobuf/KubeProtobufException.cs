namespace Vers.LocalCluster.ApiServer.Protobuf;

/// <summary>
/// A body that is not a Kubernetes protobuf object this codec can read or write. The message is the apiserver's decode
/// error text where there is one (the gogo-generated <c>Unmarshal</c> errors of k8s.io/api's generated.pb.go, the envelope
/// checks of k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go <c>Serializer.Decode</c>).
/// </summary>
internal sealed class KubeProtobufException(string message) : Exception(message)
{
    /// <summary>The kind named by the envelope, when the body got that far.</summary>
    public string? Kind { get; init; }

    /// <summary>The apiVersion named by the envelope, when the body got that far.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>
    /// The BadRequest message the apiserver answers a create or update body with, as
    /// staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go <c>transformDecodeError</c> words it: the kind the body
    /// named when it named one, else a hex summary of the first 30 bytes (<c>summarizeData</c>).
    /// </summary>
    public string ForRequest(string expectedKind, ReadOnlySpan<byte> body)
    {
        if (!string.IsNullOrEmpty(Kind))
        {
            var version = ApiVersion is { } v && v.Contains('/') ? v[(v.IndexOf('/') + 1)..] : ApiVersion ?? "";
            return $"{Kind} in version \"{version}\" cannot be handled as a {expectedKind}: {Message}";
        }

        var summary = body.Length == 0 ? "<empty>"
            : body[0] == (byte)'{' ? System.Text.Encoding.UTF8.GetString(body.Length > 30 ? body[..30] : body) + (body.Length > 30 ? " ..." : "")
            : Convert.ToHexStringLower(body.Length > 30 ? body[..30] : body) + (body.Length > 30 ? " ..." : "");
        return $"the object provided is unrecognized (must be of type {expectedKind}): {Message} ({summary})";
    }
}
