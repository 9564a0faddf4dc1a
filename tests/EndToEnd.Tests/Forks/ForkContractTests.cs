using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Vers.EndToEnd.Tests.Forks;

/// <summary>Idempotency, async operations and discovery against the all-in-one host, as a client sees them.</summary>
public sealed class ForkContractTests(AllInOneFixture cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(int Status, string Text, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? body, params (string, string)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AllInOneFixture.DevApiKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        var response = await cluster.Http.SendAsync(request, Ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct), response);
    }

    [Fact]
    public async Task A_client_retrying_with_the_sdks_idempotency_header_gets_one_fork_and_the_same_201_twice()
    {
        const string body = """{"source_org":"vers","source_repo":"go","source_tag":"latest","repo_name":"e2e-idempotent-go"}""";
        var before = await cluster.CountForksAsync();

        var first = await SendAsync(HttpMethod.Post, "api/v1/repositories/fork", body, ("X-Idempotency-Key", "e2e-retry-1"));
        var retry = await SendAsync(HttpMethod.Post, "api/v1/repositories/fork", body, ("X-Idempotency-Key", "e2e-retry-1"));

        Assert.Equal(201, first.Status);
        Assert.Equal(201, retry.Status);
        Assert.Equal(first.Text, retry.Text);
        Assert.Equal(before + 1, await cluster.CountForksAsync());
    }

    [Fact]
    public async Task An_async_fork_is_accepted_and_its_operation_reaches_succeeded()
    {
        var accepted = await SendAsync(
            HttpMethod.Post, "api/v1/repositories/fork", """{"source_org":"vers","source_repo":"go","source_tag":"latest","repo_name":"e2e-async-go"}""", ("Prefer", "respond-async"));
        Assert.Equal(202, accepted.Status);
        var location = accepted.Response.Headers.Location!.ToString();

        JsonObject operation = null!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            var poll = await SendAsync(HttpMethod.Get, location.TrimStart('/'), null);
            Assert.Equal(200, poll.Status);
            operation = JsonNode.Parse(poll.Text)!.AsObject();
            if ((string?)operation["status"] != "pending")
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), Ct);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal("succeeded", (string?)operation["status"]);
        Assert.Equal("e2e-async-go:latest", (string?)operation["reference"]);
    }

    [Fact]
    public async Task The_seeded_public_repositories_are_discoverable_with_their_tags()
    {
        var repositories = JsonNode.Parse(await cluster.Http.GetStringAsync("api/v1/public/repositories", Ct))!["repositories"]!.AsArray();
        var tags = JsonNode.Parse(await cluster.Http.GetStringAsync("api/v1/public/repositories/vers/python/tags", Ct))!["tags"]!.AsArray();

        Assert.Contains(repositories, r => (string?)r!["full_name"] == "vers/python");
        Assert.DoesNotContain(repositories, r => (string?)r!["full_name"] == "vers/internal");
        Assert.Contains(tags, t => (string?)t!["reference"] == "python:latest");
    }
}
