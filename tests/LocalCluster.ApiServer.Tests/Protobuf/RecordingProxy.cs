using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Vers.LocalCluster.ApiServer.Tests.Protobuf;

/// <summary>
/// An HTTP proxy on loopback in front of a test server that keeps every request body sent with a given Content-Type,
/// so tests can hold what kubectl itself put on the wire.
/// </summary>
internal sealed class RecordingProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly string _contentType;
    private readonly Task _loop;

    public RecordingProxy(Uri upstream, string contentType)
    {
        _contentType = contentType;
        _upstream = new HttpClient { BaseAddress = upstream };
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Address = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }

        _listener.Prefixes.Add(Address.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Address { get; }

    /// <summary>Method, path and body of each recorded request, in arrival order.</summary>
    public ConcurrentQueue<(string Method, string Path, byte[] Body)> Recorded { get; } = new();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ForwardAsync(ctx));
        }
    }

    private async Task ForwardAsync(HttpListenerContext ctx)
    {
        using var body = new MemoryStream();
        await ctx.Request.InputStream.CopyToAsync(body);
        var bytes = body.ToArray();
        if (ctx.Request.ContentType?.StartsWith(_contentType, StringComparison.Ordinal) == true)
        {
            Recorded.Enqueue((ctx.Request.HttpMethod, ctx.Request.Url!.PathAndQuery, bytes));
        }

        using var request = new HttpRequestMessage(new HttpMethod(ctx.Request.HttpMethod), ctx.Request.Url!.PathAndQuery);
        if (bytes.Length > 0 || ctx.Request.ContentType is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            if (ctx.Request.ContentType is { } type)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }

        foreach (var header in new[] { "Accept", "User-Agent", "Authorization" })
        {
            if (ctx.Request.Headers[header] is { } value)
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }
        }

        using var response = await _upstream.SendAsync(request);
        var answer = await response.Content.ReadAsByteArrayAsync();
        ctx.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.ContentType is { } contentType)
        {
            ctx.Response.ContentType = contentType.ToString();
        }

        await ctx.Response.OutputStream.WriteAsync(answer);
        ctx.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _upstream.Dispose();
    }
}
