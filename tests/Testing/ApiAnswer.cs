using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Vers.Testing;

/// <summary>An answer of the fork API: status, headers and the parsed JSON body (null when not JSON).</summary>
public sealed record ApiAnswer(int Status, JsonNode? Body, string Text, HttpResponseMessage Response)
{
    public JsonObject Object => Body as JsonObject ?? throw new InvalidOperationException($"not a JSON object ({Status}): {Text}");

    /// <summary>Calls the fork API as a client would: a bearer key when given, a JSON body when given, extra headers.</summary>
    public static async Task<ApiAnswer> SendAsync(
        HttpClient http, HttpMethod method, Uri uri, string? key, string? body, CancellationToken ct, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? json = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            json = JsonNode.Parse(text);
        }

        return new ApiAnswer((int)response.StatusCode, json, text, response);
    }
}
