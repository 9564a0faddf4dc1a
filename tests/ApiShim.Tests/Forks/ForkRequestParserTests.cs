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

    [Fact]
    public void A_utf8_byte_order_mark_before_the_json_is_skipped()
    {
        var body = "\uFEFF"u8.ToArray().Concat("""{"source_org":"vers","source_repo":"node","source_tag":"latest"}"""u8.ToArray()).ToArray();

        var (request, error) = ForkRequestParser.Parse(body);

        Assert.Null(error);
        Assert.Equal(new ForkRepositoryRequest("vers", "node", "latest", null, null), request);
    }

    [Theory]
    [InlineData("{", "request body is not valid JSON: it ends before the JSON value is complete")]
    [InlineData("""{"source_org":"vers",""", "request body is not valid JSON: it ends before the JSON value is complete")]
    [InlineData("""{"source_org":"vers",}""", "request body is not valid JSON: syntax error at line 1, column 22")]
    [InlineData("{\n  \"source_org\": vers\n}", "request body is not valid JSON: syntax error at line 2, column 17")]
    [InlineData("""{"a":1} x""", "request body is not valid JSON: syntax error at line 1, column 9")]
    [InlineData("", "request body is empty")]
    [InlineData("  \r\n", "request body is empty")]
    [InlineData("null", "request body must be a JSON object, not null")]
    [InlineData("3", "request body must be a JSON object, not a number")]
    [InlineData("""{"source_org":"vers","source_repo":"node"}""", "source_tag is required")]
    [InlineData("""{"source_org":"vers","source_repo":1.5,"source_tag":"latest"}""", "source_repo must be a string, not a number")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","tag_name":false}""", "tag_name must be a string, not a boolean")]
    [InlineData("""{"source_org":"vers","source_repo":"a:b","source_tag":"latest"}""", "source_repo must be 1-64 characters of letters, digits, '-', '_' or '.': it contains ':'")]
    [InlineData("""{"source_org":"","source_repo":"node","source_tag":"latest"}""", "source_org must be 1-63 characters of letters, digits, '-', '_' or '.': it is empty")]
    [InlineData("""{"source_org":"vers","source_repo":"node\n","source_tag":"latest"}""", "source_repo must be 1-64 characters of letters, digits, '-', '_' or '.': it contains a line break")]
    [InlineData("""{"source_org":"vers","source_repo":"n\u00f6de","source_tag":"latest"}""", "source_repo must be 1-64 characters of letters, digits, '-', '_' or '.': it contains the non-ASCII character 'ö'")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"."}""", "repo_name must not be '.'")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"latest","tag_name":".."}""", "tag_name must not be '..'")]
    [InlineData("""{"source_org":"vers","source_repo":"..","source_tag":"latest"}""", "source_repo must not be '..'")]
    [InlineData("""{"source_org":"vers","source_repo":"node","source_tag":"\ud800"}""", "source_tag must be valid Unicode text")]
    [InlineData("""{"source_org":"0123456789012345678901234567890123456789012345678901234567890123","source_repo":"node","source_tag":"latest"}""", "source_org must be 1-63 characters of letters, digits, '-', '_' or '.': it has 64")]
    public void Each_mistake_is_reported_with_the_field_it_concerns(string json, string expected)
    {
        var (request, error) = Parse(json);

        Assert.Null(request);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void No_message_carries_the_json_parsers_own_wording()
    {
        string[] bodies = ["{", "[1,", "{\"a\" 1}", "nul", "{\"source_org\":\"\\x\"}", "\"\\uZZZZ\"", "{}}"];

        foreach (var body in bodies)
        {
            var (_, error) = Parse(body);

            Assert.NotNull(error);
            Assert.DoesNotContain("LineNumber", error, StringComparison.Ordinal);
            Assert.DoesNotContain("BytePositionInLine", error, StringComparison.Ordinal);
            Assert.DoesNotContain("is an invalid", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Text_that_is_not_utf8_is_refused_as_such()
    {
        byte[] body = [(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'];

        var (request, error) = ForkRequestParser.Parse(body);

        Assert.Null(request);
        Assert.Equal("request body is not valid UTF-8 text", error);
    }

    [Fact]
    public void Deeply_nested_input_is_refused_without_throwing()
    {
        var json = new string('[', 200) + new string(']', 200);

        var (request, error) = Parse(json);

        Assert.Null(request);
        Assert.Equal("request body nests deeper than 32 levels", error);
    }
}
