using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Vers.ApiShim.Forks;

namespace Vers.ApiShim.Tests.Forks;

public sealed partial class IdempotencyTests
{
    private static (string? Key, string? Error) Read(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = dictionary.TryGetValue(name, out var existing) ? Microsoft.Extensions.Primitives.StringValues.Concat(existing, value) : new Microsoft.Extensions.Primitives.StringValues(value);
        }

        return Idempotency.Read(dictionary);
    }

    [Fact]
    public void No_header_means_no_key_and_no_error() => Assert.Equal((null, null), Read());

    [Theory]
    [InlineData("Idempotency-Key")]
    [InlineData("X-Idempotency-Key")]
    public void Either_header_carries_the_key(string header) => Assert.Equal(("k-1", null), Read((header, "k-1")));

    [Fact]
    public void Both_headers_with_the_same_key_are_accepted() =>
        Assert.Equal(("k-1", null), Read(("Idempotency-Key", "k-1"), ("X-Idempotency-Key", "k-1")));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tab\tinside")]
    [InlineData("bell\u0007")]
    [InlineData("caf\u00e9")]
    public void An_empty_or_non_printable_key_is_refused(string key) => Assert.NotNull(Read(("Idempotency-Key", key)).Error);

    [Fact]
    public void A_key_over_255_characters_is_refused_and_255_are_accepted()
    {
        Assert.NotNull(Read(("Idempotency-Key", new string('k', 256))).Error);
        Assert.Null(Read(("Idempotency-Key", new string('k', 255))).Error);
    }

    [Fact]
    public void Idempotency_key_wins_over_the_sdks_x_idempotency_key_when_both_are_sent() =>
        Assert.Equal(("mine", null), Read(("X-Idempotency-Key", "sdk-random"), ("Idempotency-Key", "mine")));

    [Fact]
    public void One_header_sent_twice_with_different_values_is_refused()
    {
        var (key, error) = Read(("Idempotency-Key", "a"), ("Idempotency-Key", "b"));

        Assert.Null(key);
        Assert.Equal("Idempotency-Key was sent 2 times with different values; send it once", error);
    }

    [Fact]
    public void A_problem_with_the_sdks_header_names_that_header() =>
        Assert.Equal("X-Idempotency-Key must not be empty", Read(("X-Idempotency-Key", " ")).Error);

    [Theory]
    [InlineData("acme", "k")]
    [InlineData("a", "")]
    [InlineData("org-with-a-long-name-0123456789-0123456789-0123456789-0123456", "~!@#$%^&*() any printable key")]
    public void The_object_name_is_a_dns_label_of_at_most_63_characters(string org, string key)
    {
        var name = Idempotency.ObjectName(org, key);

        Assert.True(name.Length <= 63, name);
        Assert.Matches(DnsLabel(), name);
        Assert.StartsWith(Idempotency.NamePrefix, name, StringComparison.Ordinal);
    }

    [Fact]
    public void The_object_name_depends_on_org_and_key_and_nothing_else()
    {
        Assert.Equal(Idempotency.ObjectName("acme", "k"), Idempotency.ObjectName("acme", "k"));
        Assert.NotEqual(Idempotency.ObjectName("acme", "k"), Idempotency.ObjectName("acme", "k2"));
        Assert.NotEqual(Idempotency.ObjectName("acme", "k"), Idempotency.ObjectName("other", "k"));
        // The org's length is part of the hashed text: "a" + "b\nc" cannot meet "a\nb" + "c".
        Assert.NotEqual(Idempotency.ObjectName("a\nb", "c"), Idempotency.ObjectName("a", "b\nc"));
    }

    [Fact]
    public void The_request_hash_is_the_same_for_the_same_meaning_and_differs_for_another()
    {
        var request = new ForkRepositoryRequest("vers", "node", "latest", null, null);

        Assert.Equal(Idempotency.RequestHash(request), Idempotency.RequestHash(request with { }));
        Assert.NotEqual(Idempotency.RequestHash(request), Idempotency.RequestHash(request with { RepoName = "node2" }));
        Assert.NotEqual(Idempotency.RequestHash(request), Idempotency.RequestHash(request with { SourceTag = "v1" }));
        Assert.NotEqual(
            Idempotency.RequestHash(request with { RepoName = "a", TagName = null }),
            Idempotency.RequestHash(request with { RepoName = null, TagName = "a" }));
    }

    [Theory]
    [InlineData("node", null)]
    [InlineData(null, "latest")]
    [InlineData("node", "latest")]
    public void Spelling_out_a_default_name_is_the_same_request_as_omitting_it(string? repoName, string? tagName)
    {
        var omitted = new ForkRepositoryRequest("vers", "node", "latest", null, null);

        Assert.Equal(Idempotency.RequestHash(omitted), Idempotency.RequestHash(omitted with { RepoName = repoName, TagName = tagName }));
    }

    [Fact]
    public void A_fork_stored_with_the_hash_of_earlier_versions_still_matches_its_replay()
    {
        var request = new ForkRepositoryRequest("vers", "node", "latest", null, null);
        var earlier = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new[] { "vers", "node", "latest", null, null })));

        Assert.True(Idempotency.Matches(earlier, request));
        Assert.True(Idempotency.Matches(Idempotency.RequestHash(request), request with { RepoName = "node" }));
        Assert.False(Idempotency.Matches(Idempotency.RequestHash(request), request with { RepoName = "other" }));
        Assert.False(Idempotency.Matches(null, request));
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
