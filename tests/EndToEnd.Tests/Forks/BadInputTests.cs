namespace Vers.EndToEnd.Tests.Forks;

/// <summary>Bad input gets 400 (or 413) with the error body naming the field, and never reaches the cluster.</summary>
public sealed class BadInputTests(AllInOneFixture cluster)
{
    public static TheoryData<string, string> BadBodies => new()
    {
        { "{", "not valid JSON" },
        { "", "request body is empty" },
        { "[]", "must be a JSON object" },
        { "\"vers/node:latest\"", "must be a JSON object" },
        { """{"source_repo":"node","source_tag":"latest"}""", "source_org is required" },
        { """{"source_org":"vers","source_tag":"latest"}""", "source_repo is required" },
        { """{"source_org":"vers","source_repo":"node"}""", "source_tag is required" },
        { """{"source_org":null,"source_repo":"node","source_tag":"latest"}""", "source_org is required" },
        { """{"source_org":42,"source_repo":"node","source_tag":"latest"}""", "source_org must be a string" },
        { """{"source_org":"vers","source_repo":["node"],"source_tag":"latest"}""", "source_repo must be a string" },
        { """{"source_org":"vers","source_repo":"node","source_tag":true}""", "source_tag must be a string" },
        { """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":{}}""", "repo_name must be a string" },
        { """{"source_org":"vers","source_repo":"no/de","source_tag":"latest"}""", "source_repo must be 1-64" },
        { """{"source_org":"vers","source_repo":"node","source_tag":"lat:est"}""", "source_tag must be 1-64" },
        { """{"source_org":"vers","source_repo":"","source_tag":"latest"}""", "source_repo must be 1-64" },
        { """{"source_org":"ve rs","source_repo":"node","source_tag":"latest"}""", "source_org must be 1-63" },
        { """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"a\u00e9b"}""", "repo_name must be 1-64" },
        { """{"source_org":"vers","source_repo":"node","source_tag":"latest","tag_name":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""", "tag_name must be 1-64" },
        { """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"."}""", "repo_name must not be '.'" },
        { """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":".."}""", "repo_name must not be '..'" },
        { """{"source_org":"vers","source_repo":"node","source_tag":"latest",}""", "syntax error at line 1, column 65" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_request_body_answers_400_naming_the_problem_and_creates_no_fork(string body, string expected)
    {
        var before = await cluster.CountForksAsync();

        var (status, response, _) = await cluster.ForkAsync(body);

        Assert.Equal(400, status);
        ForkApiTests.AssertErrorBody(response, expected);
        Assert.Equal(before, await cluster.CountForksAsync());
    }

    [Fact]
    public async Task Unknown_fields_are_ignored()
    {
        var (status, _, _) = await cluster.ForkAsync(
            """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"node-extra-fields","colour":"blue","nested":{"a":[1,2]}}""");

        Assert.Equal(201, status);
    }

    [Fact]
    public async Task A_body_over_64_KiB_answers_413_with_the_error_body()
    {
        var padding = new string('x', 70 * 1024);
        var (status, response, _) = await cluster.ForkAsync($$"""{"source_org":"vers","source_repo":"node","source_tag":"latest","pad":"{{padding}}"}""");

        Assert.Equal(413, status);
        ForkApiTests.AssertErrorBody(response, "larger than");
    }

    [Fact]
    public async Task A_body_that_is_not_declared_as_JSON_answers_415_naming_the_content_type()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/repositories/fork")
        {
            Content = new StringContent("""{"source_org":"vers","source_repo":"node","source_tag":"latest"}""", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AllInOneFixture.DevApiKey);

        var response = await cluster.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)) as System.Text.Json.Nodes.JsonObject;

        Assert.Equal(415, (int)response.StatusCode);
        ForkApiTests.AssertErrorBody(body, "Content-Type must be application/json");
    }

    [Fact]
    public async Task An_unknown_route_answers_404_with_the_error_body()
    {
        var response = await cluster.Http.GetAsync("api/v1/nothing-here", TestContext.Current.CancellationToken);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)) as System.Text.Json.Nodes.JsonObject;

        Assert.Equal(404, (int)response.StatusCode);
        ForkApiTests.AssertErrorBody(body, "no such endpoint");
    }
}
