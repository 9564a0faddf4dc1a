using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Vers.ApiShim.Forks;

namespace Vers.ApiShim.Hosting;

/// <summary>
/// Gives Kestrel's own refusals Vers' error body. Kestrel answers requests it cannot parse or accept (a malformed
/// request line or header, a URL over its limit: 414, headers over theirs: 431, headers that do not arrive in time:
/// 408) itself, with an empty body, before any middleware runs; that answer cannot be customised from the
/// application. So each connection's output is watched: the application marks when it is handling a request (and
/// completes its response before letting go), and a response Kestrel writes while no request is being handled — an
/// error status with <c>Content-Length: 0</c> — gets a JSON error body. Everything else passes through untouched.
/// </summary>
internal static class KestrelErrorBodies
{
    private const string StateKey = "vers.connection-state";

    /// <summary>Installs the output watch on a listener (a Kestrel connection middleware).</summary>
    public static void Watch(ListenOptions listen) => listen.Use(next => async connection =>
    {
        var state = new ConnectionState();
        connection.Items[StateKey] = state;
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(transport.Input, new ErrorBodyWriter(transport.Output, state));
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    });

    /// <summary>
    /// The application side (first middleware): marks the request as handled, and completes its response before
    /// returning, so that every byte of it is written while the mark is set.
    /// </summary>
    public static async Task MarkRequestsAsync(HttpContext http, RequestDelegate next)
    {
        if (http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(StateKey, out var value) != true || value is not ConnectionState state)
        {
            await next(http);
            return;
        }

        state.HandlingRequest = true;
        try
        {
            await next(http);
            if (!http.RequestAborted.IsCancellationRequested)
            {
                await http.Response.CompleteAsync();
            }
        }
        finally
        {
            state.HandlingRequest = false;
        }
    }

    /// <summary>
    /// <paramref name="head"/> rewritten with an error body when it is a whole bodiless error response (status line and
    /// headers, <c>Content-Length: 0</c>, nothing after); null when it is anything else.
    /// </summary>
    internal static byte[]? WithErrorBody(ReadOnlySpan<byte> head)
    {
        const string version = "HTTP/1.1 ";
        var end = head.IndexOf("\r\n\r\n"u8);
        if (!head.StartsWith(Encoding.ASCII.GetBytes(version)) || end < 0 || end + 4 != head.Length || head.Length < version.Length + 3)
        {
            return null;
        }

        var text = Encoding.ASCII.GetString(head[..end]);
        if (!int.TryParse(text.AsSpan(version.Length, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
            || status < 400)
        {
            return null;
        }

        var lines = text.Split("\r\n");
        var lengthLine = Array.FindIndex(lines, l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine < 0 || lines[lengthLine]["Content-Length:".Length..].Trim() != "0"
            || lines.Any(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse(ErrorBodies.ForStatus(status)));
        lines[lengthLine] = $"Content-Length: {body.Length}";
        var rewritten = string.Join("\r\n", lines.Take(lengthLine + 1).Append("Content-Type: application/json; charset=utf-8").Concat(lines.Skip(lengthLine + 1)));
        return [.. Encoding.ASCII.GetBytes(rewritten + "\r\n\r\n"), .. body];
    }

    private sealed class ConnectionState
    {
        private volatile bool _handling;

        public bool HandlingRequest
        {
            get => _handling;
            set => _handling = value;
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// Passes writes through while a request is handled; otherwise collects them until the flush, which writes them
    /// on, with an error body when they are a bodiless error response.
    /// </summary>
    private sealed class ErrorBodyWriter(PipeWriter inner, ConnectionState state) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _held = new();
        private bool _holding;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes + _held.WrittenCount;

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            _holding = _held.WrittenCount > 0 || !state.HandlingRequest;
            return _holding ? _held.GetMemory(sizeHint) : inner.GetMemory(sizeHint);
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if (_holding)
            {
                _held.Advance(bytes);
            }
            else
            {
                inner.Advance(bytes);
            }
        }

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Release();
            return await inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Release();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            Release();
            await inner.CompleteAsync(exception);
        }

        /// <summary>Moves what is held to the inner writer (not yet flushed), rewritten when it is a bodiless error.</summary>
        private void Release()
        {
            if (_held.WrittenCount == 0)
            {
                return;
            }

            var bytes = WithErrorBody(_held.WrittenSpan) ?? _held.WrittenSpan.ToArray();
            _held.Clear();
            _holding = false;
            inner.Write(bytes);
        }
    }
}
