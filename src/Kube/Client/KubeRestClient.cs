using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Vers.Kube.Client;

public enum PatchKind
{
    Merge,
    Json,
    Apply,
}

/// <summary>
/// A small REST client for any resource, core or custom, on top of the connection, credentials and
/// JSON settings of a <see cref="Kubernetes"/> client. KubernetesClient's <c>CustomObjects</c> cannot
/// address the core group ("/api/v1") and its watch helpers hide the raw event stream; one uniform
/// client keeps the informer, the operator and the shim on the same code path for every kind.
/// </summary>
public sealed class KubeRestClient
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);
    private readonly Kubernetes _kubernetes;
    private readonly JsonSerializerOptions? _answers;

    /// <param name="kubernetes">The connection, credentials and JSON settings to use.</param>
    /// <param name="answers">
    /// Settings for reading the objects that gets and writes answer with, e.g. <see cref="KubeJson.ReadWithoutManagedFields"/>
    /// for a controller that never looks at managedFields (on a write answer they are the largest, deepest part).
    /// </param>
    public KubeRestClient(IKubernetes kubernetes, JsonSerializerOptions? answers = null)
    {
        _answers = answers;
        _kubernetes = kubernetes as Kubernetes
            ?? throw new ArgumentException("KubeRestClient needs a k8s.Kubernetes instance", nameof(kubernetes));
        var baseUri = _kubernetes.BaseUri.ToString();
        BaseUri = new Uri(baseUri.EndsWith('/') ? baseUri : baseUri + "/");
    }

    public Uri BaseUri { get; }

    public IKubernetes Kubernetes => _kubernetes;

    public static string PathOf(ResourceType type, string? ns, string? name = null, string? subresource = null)
    {
        var sb = new StringBuilder(type.Group.Length == 0 ? "api/" : $"apis/{type.Group}/");
        sb.Append(type.Version);
        if (type.Namespaced && ns is not null)
        {
            sb.Append("/namespaces/").Append(Uri.EscapeDataString(ns));
        }

        sb.Append('/').Append(type.Plural);
        if (name is not null)
        {
            sb.Append('/').Append(Uri.EscapeDataString(name));
            if (subresource is not null)
            {
                sb.Append('/').Append(subresource);
            }
        }

        return sb.ToString();
    }

    public async Task<T> GetAsync<T>(ResourceType type, string? ns, string name, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, PathOf(type, ns, name), null, null, ct);
        return await ReadAsync<T>(response, ct, _answers);
    }

    /// <summary>GET that answers null for 404.</summary>
    public async Task<T?> TryGetAsync<T>(ResourceType type, string? ns, string name, CancellationToken ct)
        where T : class
    {
        try
        {
            return await GetAsync<T>(type, ns, name, ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public async Task<KubernetesList<T>> ListAsync<T>(
        ResourceType type,
        string? ns,
        CancellationToken ct,
        string? labelSelector = null,
        string? fieldSelector = null,
        string? resourceVersion = null,
        int? limit = null,
        string? continueToken = null,
        JsonSerializerOptions? json = null)
        where T : IKubernetesObject
    {
        var query = Query(
            ("labelSelector", labelSelector),
            ("fieldSelector", fieldSelector),
            ("resourceVersion", resourceVersion),
            ("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("continue", continueToken));
        using var response = await SendAsync(HttpMethod.Get, PathOf(type, ns) + query, null, null, ct);
        return await ReadAsync<KubernetesList<T>>(response, ct, json);
    }

    public async Task<T> CreateAsync<T>(ResourceType type, string? ns, T obj, CancellationToken ct, string? fieldManager = null)
    {
        using var response = await SendAsync(
            HttpMethod.Post, PathOf(type, ns) + Query(("fieldManager", fieldManager)), Body(obj), "application/json", ct);
        return await ReadAsync<T>(response, ct, _answers);
    }

    public async Task<T> ReplaceAsync<T>(ResourceType type, string? ns, string name, T obj, CancellationToken ct, string? subresource = null)
    {
        using var response = await SendAsync(
            HttpMethod.Put, PathOf(type, ns, name, subresource), Body(obj), "application/json", ct);
        return await ReadAsync<T>(response, ct, _answers);
    }

    public async Task<T> PatchAsync<T>(
        ResourceType type,
        string? ns,
        string name,
        string patch,
        CancellationToken ct,
        PatchKind kind = PatchKind.Merge,
        string? subresource = null,
        string? fieldManager = null,
        bool? force = null)
    {
        var mediaType = kind switch
        {
            PatchKind.Json => "application/json-patch+json",
            PatchKind.Apply => "application/apply-patch+yaml",
            _ => "application/merge-patch+json",
        };
        var query = Query(("fieldManager", fieldManager), ("force", force is null ? null : force.Value ? "true" : "false"));
        using var response = await SendAsync(HttpMethod.Patch, PathOf(type, ns, name, subresource) + query, Encoding.UTF8.GetBytes(patch), mediaType, ct);
        return await ReadAsync<T>(response, ct, _answers);
    }

    public Task<T> PatchAsync<T>(ResourceType type, string? ns, string name, object patch, CancellationToken ct, string? subresource = null)
        => PatchAsync<T>(type, ns, name, KubernetesJson.Serialize(patch), ct, PatchKind.Merge, subresource);

    /// <summary>DELETE; answers false when the object was already gone.</summary>
    public async Task<bool> DeleteAsync(
        ResourceType type, string? ns, string name, CancellationToken ct, string propagationPolicy = "Background", string? uidPrecondition = null)
    {
        var options = new V1DeleteOptions
        {
            PropagationPolicy = propagationPolicy,
            Preconditions = uidPrecondition is null ? null : new V1Preconditions { Uid = uidPrecondition },
        };
        try
        {
            using var response = await SendAsync(HttpMethod.Delete, PathOf(type, ns, name), Body(options), "application/json", ct);
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Opens a watch and yields its events, BOOKMARKs included (their object carries only the
    /// resourceVersion). An ERROR event (e.g. 410 Expired) is thrown as <see cref="KubeApiException"/>.
    /// The enumeration ends normally when the server closes the stream. <paramref name="json"/> replaces
    /// KubernetesClient's settings for reading (e.g. <see cref="KubeJson.ReadWithoutManagedFields"/>).
    /// </summary>
    public async IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync<T>(
        ResourceType type,
        string? ns,
        string? resourceVersion,
        [EnumeratorCancellation] CancellationToken ct,
        string? labelSelector = null,
        string? fieldSelector = null,
        int? timeoutSeconds = null,
        bool allowBookmarks = true,
        JsonSerializerOptions? json = null)
    {
        var query = Query(
            ("watch", "true"),
            ("allowWatchBookmarks", allowBookmarks ? "true" : null),
            ("labelSelector", labelSelector),
            ("fieldSelector", fieldSelector),
            ("resourceVersion", resourceVersion),
            ("timeoutSeconds", timeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var response = await SendAsync(HttpMethod.Get, PathOf(type, ns) + query, null, null, ct, watch: true);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);

        // Events are read as UTF-8 lines straight from the stream and decoded from those bytes: no string per
        // line, no JsonDocument per event, no re-serialised copy of the object.
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                var read = await pipe.ReadAsync(ct);
                var buffer = read.Buffer;
                var newline = buffer.PositionOf((byte)'\n');
                if (newline is null && !read.IsCompleted)
                {
                    pipe.AdvanceTo(buffer.Start, buffer.End); // an incomplete line: wait for more
                    continue;
                }

                var line = newline is { } end ? buffer.Slice(0, end) : buffer;
                var decoded = WatchEvent<T>.TryDecode(line, json ?? KubeJson.Options, out var watchEvent);
                pipe.AdvanceTo(newline is { } consumed ? buffer.GetPosition(1, consumed) : buffer.End);
                if (decoded)
                {
                    yield return watchEvent;
                }
                else if (newline is null)
                {
                    yield break; // the server closed the stream
                }
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static byte[] Body<T>(T obj) => KubeJson.SerializeToUtf8Bytes(obj ?? throw new ArgumentNullException(nameof(obj)));

    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string relativePath, byte[]? body, string? mediaType, CancellationToken ct, bool watch = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, relativePath))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType ?? "application/json") { CharSet = "utf-8" };
        }

        if (_kubernetes.Credentials is not null)
        {
            await _kubernetes.Credentials.ProcessHttpRequestAsync(request, ct);
        }

        // Watches stay open for their timeoutSeconds; every other call gets the client's usual 100 s.
        using var timeout = watch ? null : CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout?.CancelAfter(RequestTimeout);
        var response = await _kubernetes.HttpClient.SendAsync(
            request, HttpCompletionOption.ResponseHeadersRead, timeout?.Token ?? ct);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            V1Status? status = null;
            try
            {
                status = text.Length > 0 ? KubernetesJson.Deserialize<V1Status>(text) : null;
            }
            catch (JsonException)
            {
                // Not a Status body (e.g. a proxy error page): keep the raw text in the message.
            }

            throw new KubeApiException(
                response.StatusCode, status, $"{method} {relativePath}: {(int)response.StatusCode} {status?.Message ?? text}");
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct, JsonSerializerOptions? json = null)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        return await JsonSerializer.DeserializeAsync<T>(stream, json ?? KubeJson.Options, ct)
            ?? throw new JsonException($"{response.RequestMessage?.RequestUri}: null where a {typeof(T).Name} was expected");
    }
}

/// <summary>One line of a watch stream, decoded from its UTF-8 bytes.</summary>
internal static class WatchEvent<T>
{
    /// <summary>False for a blank line. An ERROR event is thrown as <see cref="KubeApiException"/>.</summary>
    public static bool TryDecode(ReadOnlySequence<byte> line, out (WatchEventType Type, T Object) watchEvent) =>
        TryDecode(line, KubeJson.Options, out watchEvent);

    public static bool TryDecode(ReadOnlySequence<byte> line, JsonSerializerOptions json, out (WatchEventType Type, T Object) watchEvent)
    {
        watchEvent = default;
        if (IsBlank(line))
        {
            return false;
        }

        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a watch event is not a JSON object");
        }

        WatchEventType? type = null;
        var error = false;
        var body = default(Utf8JsonReader);
        var hasBody = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.ValueTextEquals("ADDED"u8) ? WatchEventType.Added
                    : reader.ValueTextEquals("MODIFIED"u8) ? WatchEventType.Modified
                    : reader.ValueTextEquals("DELETED"u8) ? WatchEventType.Deleted
                    : reader.ValueTextEquals("BOOKMARK"u8) ? WatchEventType.Bookmark
                    : reader.ValueTextEquals("ERROR"u8) ? WatchEventType.Error
                    : throw new JsonException($"unknown watch event type {reader.GetString()}");
                error = type == WatchEventType.Error;
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                reader.Read();
                body = reader; // decoded below, once the type is known (it may come after the object)
                hasBody = true;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (type is null || !hasBody)
        {
            throw new JsonException("a watch event without type or object");
        }

        if (error)
        {
            var status = JsonSerializer.Deserialize<V1Status>(ref body, KubeJson.Options)!;
            throw new KubeApiException((HttpStatusCode)(status.Code ?? 500), status, status.Message ?? "watch error");
        }

        watchEvent = (type.Value, JsonSerializer.Deserialize<T>(ref body, json)!);
        return true;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r"u8) >= 0)
            {
                return false;
            }
        }

        return true;
    }
}
