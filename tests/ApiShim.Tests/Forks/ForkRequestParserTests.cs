using System.Text;
using Vers.ApiShim.Forks;

namespace Vers.ApiShim.Tests.Forks;

public sealed class ForkRequestParserTests
{
    private static (ForkRepositoryRequest? Request, string? Error) Parse(string json) => ForkRequestParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_complete_request_is_parsed_with_every_field()
    {
        var (request, error) = Parse("""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"my-node","tag_name":"v1"}""");

        Assert.Null(error);
        Assert.Equal(new ForkRepositoryRequest("vers", "node", "latest", "my-node", "v1"), request);
    }

    [Fact]
    public void Optional_names_may_be_absent_or_null()
    {
        var (request, error) = Parse("""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":null}""");

        Assert.Null(error);
        Assert.Null(request!.RepoName);
        Assert.Null(request.TagName);
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var (request, error) = Parse("""{"source_org":"vers","source_repo":"node","source_tag":"latest","extra":{"deep":[1,{"x":null}]}}""");

        Assert.Null(error);
        Assert.NotNull(request);
    }

    [Theory]
    [InlineData("{", "request body is not valid JSON")]
    [InlineData("null", "must be a JSON object, not null")]
    [InlineData("3", "must be a JSON object, not a number")]
    [InlineData("""{"source_org":"vers","source_repo":"node"}""", "source_tag is required")]
    [InlineData("""{"source_org":"vers","source_repo":1.5,"source_tag":"latest"}""", "source_repo must be a string, not a number")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","tag_name":false}""", "tag_name must be a string, not a boolean")]
    [InlineData("""{"source_org":"vers","source_repo":"a:b","source_tag":"latest"}""", "source_repo must be 1-64 characters")]
    [InlineData("""{"source_org":"","source_repo":"node","source_tag":"latest"}""", "source_org must be 1-63 characters")]
    [InlineData("""{"source_org":"vers","source_repo":"node\n","source_tag":"latest"}""", "source_repo must be 1-64 characters")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"\ud800"}""", "source_tag must be valid Unicode text")]
    [InlineData("""{"source_org":"0123456789012345678901234567890123456789012345678901234567890123","source_repo":"node","source_tag":"latest"}""", "source_org must be 1-63 characters")]
    public void Each_mistake_is_reported_with_the_field_it_concerns(string json, string expected)
    {
        var (request, error) = Parse(json);

        Assert.Null(request);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_input_is_refused_without_throwing()
    {
        var json = new string('[', 200) + new string(']', 200);

        var (request, error) = Parse(json);

        Assert.Null(request);
        Assert.StartsWith("request body is not valid JSON", error, StringComparison.Ordinal);
    }
}
