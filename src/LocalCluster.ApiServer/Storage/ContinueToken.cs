using System.Buffers.Text;
using System.Text.Json;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>
/// List continue tokens in the apiserver's format (staging/src/k8s.io/apiserver/pkg/storage/continue.go):
/// unpadded URL-safe base64 of <c>{"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}</c>, where the key is relative
/// to the list's etcd prefix (<c>{name}</c> in one namespace or for cluster-scoped kinds, <c>{namespace}/{name}</c>
/// across namespaces) and the NUL makes the next page start strictly after the last key returned.
/// </summary>
internal static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    /// <summary>An object's key relative to the list's prefix.</summary>
    public static string Key(StoredObject obj, bool acrossNamespaces) =>
        acrossNamespaces && obj.Namespace.Length > 0 ? $"{obj.Namespace}/{obj.Name}" : obj.Name;

    /// <summary>Orders an object against a decoded start key as etcd orders keys (byte order).</summary>
    public static int CompareKey(StoredObject obj, bool acrossNamespaces, string start) =>
        string.CompareOrdinal(Key(obj, acrossNamespaces), start);

    /// <summary>PrepareContinueToken: the token that resumes after <paramref name="lastKey"/> at <paramref name="revision"/>.</summary>
    public static string After(string lastKey, long revision) => Encode(lastKey + "\0", revision);

    /// <summary>EncodeContinue: the token that resumes at <paramref name="start"/> at <paramref name="revision"/> (-1: the latest).</summary>
    public static string Encode(string start, long revision)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("v", Version);
            json.WriteNumber("rv", revision);
            json.WriteString("start", start);
            json.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }

    /// <summary>
    /// DecodeContinue: the start key and revision of a token; a token that does not decode is the 400 etcd3
    /// store.go GetList answers ("invalid continue token: …").
    /// </summary>
    public static (string Start, long Revision) Decode(string token)
    {
        var invalidChar = token.AsSpan().IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
        if (invalidChar >= 0 || token.Length % 4 == 1)
        {
            throw Invalid($"continue key is not valid: illegal base64 data at input byte {(invalidChar >= 0 ? invalidChar : token.Length - 1)}");
        }

        string? version, start;
        long revision;
        try
        {
            using var doc = JsonDocument.Parse(Base64Url.DecodeFromChars(token));
            var root = doc.RootElement;
            version = Text(root, "v");
            start = Text(root, "start");
            revision = root.TryGetProperty("rv", out var rv) ? rv.GetInt64() : 0;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw Invalid($"continue key is not valid: {e.Message}");
        }

        if (version != Version)
        {
            throw Invalid($"continue key is not valid: server does not recognize this encoded version {version}");
        }

        if (revision == 0)
        {
            throw Invalid("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }

        if (string.IsNullOrEmpty(start))
        {
            throw Invalid("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
        }

        // Like DecodeContinue's path.Clean check: a start key may not climb out of the list's prefix.
        var key = start.StartsWith('/') ? start : "/" + start;
        if (!IsCleanPath(key))
        {
            throw Invalid($"continue key is not valid: {start}");
        }

        return (key[1..], revision);
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Whether Go's path.Clean leaves a rooted path unchanged: no empty, "." or ".." segment, no trailing slash.</summary>
    private static bool IsCleanPath(string rooted)
    {
        if (rooted == "/")
        {
            return true;
        }

        foreach (var segment in rooted[1..].Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return false;
            }
        }

        return true;
    }

    private static ApiException Invalid(string detail) => ApiException.BadRequest($"invalid continue token: {detail}");
}
