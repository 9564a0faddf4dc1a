using System.Net;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>A raw watch request: its status code, then its events one JSON line at a time, exactly as the server wrote them.</summary>
internal sealed class WatchStream : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private WatchStream(HttpClient http, HttpResponseMessage response, StreamReader reader)
    {
        _http = http;
        _response = response;
        _reader = reader;
    }

    public HttpStatusCode Code => _response.StatusCode;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<WatchStream> OpenAsync(TestCluster cluster, string path)
    {
        var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, Ct);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        return new WatchStream(http, response, reader);
    }

    /// <summary>The next line, unparsed; null when the server ended the stream. Fails after 5 s without one.</summary>
    public async Task<string?> NextLineAsync()
    {
        var line = _reader.ReadLineAsync(Ct).AsTask();
        var done = await Task.WhenAny(line, Task.Delay(TimeSpan.FromSeconds(5), Ct));
        Assert.True(done == line, "no watch event within 5 s");
        return await line;
    }

    /// <summary>The next event as (type, object); fails if the stream ends or stays silent for 5 s.</summary>
    public async Task<(string Type, JsonObject Object)> NextAsync()
    {
        var line = await NextLineAsync();
        Assert.NotNull(line);
        var e = JsonNode.Parse(line)!.AsObject();
        return (e["type"]!.GetValue<string>(), e["object"]!.AsObject());
    }

    /// <summary>The next event that is not a BOOKMARK.</summary>
    public async Task<(string Type, JsonObject Object)> NextChangeAsync()
    {
        while (true)
        {
            var e = await NextAsync();
            if (e.Type != "BOOKMARK")
            {
                return e;
            }
        }
    }

    /// <summary>Whether any line arrives within <paramref name="wait"/>; a last call only (a read may still be pending).</summary>
    public async Task<bool> SendsWithinAsync(TimeSpan wait)
    {
        var line = _reader.ReadLineAsync(Ct).AsTask();
        return await Task.WhenAny(line, Task.Delay(wait, Ct)) == line && await line is not null;
    }

    /// <summary>The whole body (for error responses, which are not streams).</summary>
    public async Task<string> BodyAsync() => await _reader.ReadToEndAsync(Ct);

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal static class JsonNodeExtensions
{
    /// <summary>The string at a path of object keys, or null.</summary>
    public static string? At(this JsonNode? node, params string[] path)
    {
        foreach (var p in path)
        {
            node = (node as JsonObject)?[p];
        }

        return node?.ToString();
    }
}
