using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Vers.ApiShim.Hosting;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>
/// Every error the server gives, Kestrel's own refusals and malformed HTTP included, is Vers' error body with the
/// right status, never a 500; and the forgiving parts of the protocol are forgiven (a UTF-8 BOM, repeated slashes).
/// Raw sockets, because HttpClient will not send malformed requests.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ErrorBodyTests(ShimCluster cluster)
{
    private const string NodeFork = """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Api => cluster.Host.ApiAddress;

    /// <summary>A response read off the socket: status, headers, body.</summary>
    private sealed record RawAnswer(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public JsonObject Object => JsonNode.Parse(Body)!.AsObject();
    }

    /// <summary>Sends <paramref name="request"/> as it is and reads one response (the server closes or it is complete).</summary>
    private static async Task<RawAnswer> SendRawAsync(Uri api, string request)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(api.Host, api.Port, Ct);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request), Ct);
        await stream.FlushAsync(Ct);
        var received = new MemoryStream();
        var buffer = new byte[16384];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (true)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            if (Parse(received.ToArray()) is { } complete)
            {
                return complete;
            }
        }

        return Parse(received.ToArray()) ?? throw new InvalidOperationException($"no complete response: '{Encoding.UTF8.GetString(received.ToArray())}'");
    }

    private static RawAnswer? Parse(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        var lines = text[..end].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = text[(end + 4)..];
        if (headers.TryGetValue("Content-Length", out var length))
        {
            return body.Length >= int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)
                ? new RawAnswer(int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, body)
                : null;
        }

        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding == "chunked")
        {
            if (!body.EndsWith("0\r\n\r\n", StringComparison.Ordinal))
            {
                return null;
            }

            var decoded = new StringBuilder();
            var rest = body;
            while (true)
            {
                var lineEnd = rest.IndexOf("\r\n", StringComparison.Ordinal);
                var size = Convert.ToInt32(rest[..lineEnd], 16);
                if (size == 0)
                {
                    break;
                }

                decoded.Append(rest.AsSpan(lineEnd + 2, size));
                rest = rest[(lineEnd + 2 + size + 2)..];
            }

            return new RawAnswer(int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, decoded.ToString());
        }

        return null;
    }

    private static void AssertErrorBody(RawAnswer answer, int status, string message)
    {
        Assert.Equal(status, answer.Status);
        Assert.StartsWith("application/json", answer.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal(message, (string?)answer.Object["error"]);
        Assert.False((bool)answer.Object["success"]!);
        Assert.Equal(2, answer.Object.Count);
    }

    private string Post(string key, string body, int contentLength) =>
        $"POST /api/v1/repositories/fork HTTP/1.1\r\nHost: {Api.Authority}\r\nAuthorization: Bearer {key}\r\n" +
        $"Content-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n{body}";

    [Fact]
    public async Task A_malformed_header_line_answers_400_with_the_error_body()
    {
        var answer = await SendRawAsync(Api, $"GET /api/v1/public/repositories HTTP/1.1\r\nHost: {Api.Authority}\r\nNo colon here\r\n\r\n");

        AssertErrorBody(answer, 400, "malformed HTTP request");
    }

    [Fact]
    public async Task A_malformed_request_line_answers_400_with_the_error_body()
    {
        var answer = await SendRawAsync(Api, "GET  HTTP/1.1 extra\r\n\r\n");

        AssertErrorBody(answer, 400, "malformed HTTP request");
    }

    [Fact]
    public async Task A_url_over_kestrels_limit_answers_414_with_the_error_body()
    {
        var answer = await SendRawAsync(Api, $"GET /api/v1/{new string('x', 9000)} HTTP/1.1\r\nHost: {Api.Authority}\r\n\r\n");

        AssertErrorBody(answer, 414, "the request URL is too long");
    }

    [Fact]
    public async Task Headers_over_kestrels_limit_answer_431_with_the_error_body()
    {
        var answer = await SendRawAsync(Api, $"GET /api/v1/public/repositories HTTP/1.1\r\nHost: {Api.Authority}\r\nX-Big: {new string('a', 40_000)}\r\n\r\n");

        AssertErrorBody(answer, 431, "the request headers are too large");
    }

    [Fact]
    public async Task Headers_that_do_not_arrive_in_time_answer_408_with_the_error_body()
    {
        await using var shim = await cluster.StartShimAsync(o => o with { RequestHeadersTimeout = TimeSpan.FromSeconds(1) }, Ct);

        // Half a request: Kestrel's heartbeat gives up on it after the timeout and answers on its own.
        var answer = await SendRawAsync(shim.BaseAddress, $"GET /api/v1/public/repositories HTTP/1.1\r\nHost: {shim.BaseAddress.Authority}\r\nX-Slow: ");

        AssertErrorBody(answer, 408, "the request was not received in time");
    }

    [Fact]
    public async Task Bad_chunking_answers_400_naming_the_problem_and_creates_nothing()
    {
        var org = await cluster.NewOrgAsync();
        var request = $"POST /api/v1/repositories/fork HTTP/1.1\r\nHost: {Api.Authority}\r\nAuthorization: Bearer {org.Key}\r\n" +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";

        var answer = await SendRawAsync(Api, request);

        AssertErrorBody(answer, 400, "malformed request: Bad chunk size data");
        Assert.Empty(await cluster.ForksOfAsync(org, Ct));
    }

    [Fact]
    public async Task A_body_shorter_than_its_content_length_is_never_answered_with_500()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(Api.Host, Api.Port, Ct);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(Post(cluster.Host.DevApiKey, """{"source_org":""", contentLength: 100)), Ct);
        socket.Client.Shutdown(SocketShutdown.Send);

        var received = new MemoryStream();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException)
        {
            // Reset: the server dropped the connection.
        }

        // Kestrel drops a connection whose client stopped sending mid-body; if it answers at all, it is a 400.
        var text = Encoding.UTF8.GetString(received.ToArray());
        Assert.True(text.Length == 0 || text.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), text);
    }

    [Theory]
    [InlineData(400, "malformed request: Unexpected end of request content")]
    [InlineData(408, "the request body arrived too slowly")]
    [InlineData(413, "request body is too large")]
    public void A_request_body_kestrel_cannot_read_maps_to_its_status_and_a_message(int status, string message)
    {
        var error = new Microsoft.AspNetCore.Http.BadHttpRequestException("Unexpected end of request content.", status);

        Assert.Equal((status, message), ErrorBodies.ForException(error));
    }

    [Fact]
    public void Any_other_exception_is_a_500_that_says_no_more() =>
        Assert.Equal((500, "internal server error"), ErrorBodies.ForException(new InvalidOperationException("secret detail")));

    [Fact]
    public void Only_a_whole_bodiless_error_response_is_given_a_body()
    {
        var bodiless = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\nServer: Kestrel\r\n\r\n"u8;
        var success = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8;
        var withBody = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}"u8;
        var chunkTail = "0\r\n\r\n"u8;

        var rewritten = Encoding.ASCII.GetString(KestrelErrorBodies.WithErrorBody(bodiless)!);

        Assert.Equal(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 50\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\nServer: Kestrel\r\n\r\n" +
            """{"error":"malformed HTTP request","success":false}""",
            rewritten);
        Assert.Null(KestrelErrorBodies.WithErrorBody(success));
        Assert.Null(KestrelErrorBodies.WithErrorBody(withBody));
        Assert.Null(KestrelErrorBodies.WithErrorBody(chunkTail));
    }

    [Fact]
    public async Task A_body_with_a_utf8_byte_order_mark_is_accepted()
    {
        var org = await cluster.NewOrgAsync();
        var body = "\uFEFF" + NodeFork;

        var answer = await SendRawAsync(Api, Post(org.Key, body, Encoding.UTF8.GetByteCount(body)));

        Assert.Equal(201, answer.Status);
        Assert.Equal("node:latest", (string?)answer.Object["reference"]);
    }

    [Theory]
    [InlineData("//api/v1/public/repositories/vers/node")]
    [InlineData("/api//v1///public/repositories/vers/node")]
    public async Task Repeated_slashes_in_a_path_count_as_one(string path)
    {
        var answer = await SendRawAsync(Api, $"GET {path} HTTP/1.1\r\nHost: {Api.Authority}\r\n\r\n");

        Assert.Equal(200, answer.Status);
        Assert.Equal("vers/node", (string?)answer.Object["full_name"]);
    }

    [Fact]
    public async Task A_fork_posted_to_a_path_with_a_doubled_slash_is_made()
    {
        var org = await cluster.NewOrgAsync();

        // As Vers' Go SDK sends it with a base URL that ends in "/": base + "/api/v1/…".
        var answer = await ShimCluster.SendAsync(Api, HttpMethod.Post, $"{Api.Scheme}://{Api.Authority}//api/v1/repositories/fork", org.Key, NodeFork, Ct);

        Assert.Equal(201, answer.Status);
    }

    [Fact]
    public async Task A_wrong_method_answers_405_with_the_error_body()
    {
        var answer = await ShimCluster.SendAsync(Api, HttpMethod.Delete, "api/v1/repositories/fork", cluster.Host.DevApiKey, null, Ct);

        Assert.Equal(405, answer.Status);
        Assert.Equal("method DELETE is not allowed on /api/v1/repositories/fork", (string?)answer.Object["error"]);
    }
}
