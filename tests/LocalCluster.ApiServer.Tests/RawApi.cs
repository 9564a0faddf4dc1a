using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>A raw HTTP response: code, JSON body (if any) and the Warning headers.</summary>
internal sealed record RawResponse(HttpStatusCode Code, JsonObject? Body, IReadOnlyList<string> Warnings, HttpResponseHeaders Headers, string Text)
{
    public string? Str(params string[] path)
    {
        JsonNode? n = Body;
        foreach (var p in path)
        {
            n = n?[p];
        }

        return n?.ToString();
    }

    /// <summary>details.causes as (reason, field, message) triples.</summary>
    public List<(string Reason, string Field, string Message)> Causes() =>
        [.. (Body?["details"]?["causes"] as JsonArray ?? []).Select(c => (c!["reason"]?.ToString() ?? "", c["field"]?.ToString() ?? "", c["message"]?.ToString() ?? ""))];
}

/// <summary>Sends requests exactly as written, so tests can assert on status codes, Status bodies and headers.</summary>
internal sealed class RawApi(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress };

    public Task<RawResponse> GetAsync(string path, string? userAgent = null) => SendAsync(HttpMethod.Get, path, null, null, userAgent);

    public Task<RawResponse> PostAsync(string path, string body, string contentType = "application/json", string? userAgent = null) =>
        SendAsync(HttpMethod.Post, path, body, contentType, userAgent);

    public Task<RawResponse> PutAsync(string path, string body) => SendAsync(HttpMethod.Put, path, body, "application/json");

    public Task<RawResponse> PatchAsync(string path, string body, string contentType = "application/merge-patch+json") =>
        SendAsync(HttpMethod.Patch, path, body, contentType);

    public Task<RawResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null, null);

    public async Task<RawResponse> SendAsync(HttpMethod method, string path, string? body, string? contentType, string? userAgent = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonObject? json = null;
        try
        {
            json = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON (e.g. /healthz): callers read Text.
        }

        var warnings = response.Headers.TryGetValues("Warning", out var w) ? w.ToList() : [];
        return new RawResponse(response.StatusCode, json, warnings, response.Headers, text);
    }

    public void Dispose() => _http.Dispose();
}
