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
    public void Two_headers_that_disagree_are_refused() =>
        Assert.NotNull(Read(("Idempotency-Key", "a"), ("X-Idempotency-Key", "b")).Error);

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
        Assert.NotEqual(Idempotency.RequestHash(request), Idempotency.RequestHash(request with { RepoName = "node" }));
        Assert.NotEqual(Idempotency.RequestHash(request), Idempotency.RequestHash(request with { SourceTag = "v1" }));
        Assert.NotEqual(
            Idempotency.RequestHash(request with { RepoName = "a", TagName = null }),
            Idempotency.RequestHash(request with { RepoName = null, TagName = "a" }));
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
