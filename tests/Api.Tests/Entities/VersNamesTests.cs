using System.Text.RegularExpressions;
using CsCheck;
using Vers.Api;

namespace Vers.Api.Tests.Entities;

public sealed partial class VersNamesTests
{
    private const string VersChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

    /// <summary>Any valid Vers name.</summary>
    private static readonly Gen<string> AnyName = Gen.Char[VersChars].Array[1, 64].Select(c => new string(c)).Where(n => n is not "." and not "..");

    /// <summary>Short names over few characters, so that case, '.', '_' and '-' variants of one another come up often.</summary>
    private static readonly Gen<string> ConfusableName = Gen.Char["aAb.-_1"].Array[1, 6].Select(c => new string(c)).Where(n => n is not "." and not "..");

    private static readonly Gen<string> Name = Gen.Frequency((1, AnyName), (2, ConfusableName));

    [Theory]
    [InlineData("a")]
    [InlineData("node")]
    [InlineData("My_Repo.v1-2")]
    [InlineData("...")]
    [InlineData("-")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Accepts_1_to_64_letters_digits_dots_underscores_and_dashes(string name) => Assert.True(VersNames.IsValid(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("ünïcode")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("trailing\n")]
    public void Rejects_empty_too_long_and_foreign_characters(string? name) => Assert.False(VersNames.IsValid(name));

    /// <summary>As a path segment of the read endpoints, HTTP clients resolve them as relative paths: never readable.</summary>
    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void Rejects_the_dot_segments(string name) => Assert.False(VersNames.IsValid(name));

    /// <summary>The CRDs validate with <see cref="VersNames.Pattern"/> (RE2 on a real API server: no lookahead).</summary>
    [Fact]
    public void The_CRD_pattern_accepts_exactly_the_valid_names()
    {
        var pattern = new Regex(VersNames.Pattern, RegexOptions.CultureInvariant);
        var dotty = Gen.Char[".a"].Array[1, 4].Select(c => new string(c));
        var anyChars = Gen.Char["ab.-_:/ "].Array[0, 66].Select(c => new string(c));
        Gen.OneOf(Name, dotty, anyChars, Gen.Char[VersChars].Array[63, 66].Select(c => new string(c)))
            .Sample(name => pattern.IsMatch(name) == VersNames.IsValid(name));
    }

    [Theory]
    [InlineData("node")]
    [InlineData("my-repo")]
    [InlineData("a1")]
    [InlineData("012345678901234567890123456789012345678901234567890123456789012")]
    public void A_name_that_is_a_DNS_label_stays_as_it_is(string name) => Assert.Equal(name, VersNames.ToObjectName(name));

    [Theory]
    [InlineData("Node")]
    [InlineData("my_repo")]
    [InlineData("v1.0")]
    [InlineData("-lead")]
    [InlineData("trail-")]
    [InlineData("a--b")]
    [InlineData("...")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Other_names_map_to_a_different_valid_DNS_label(string name)
    {
        var objectName = VersNames.ToObjectName(name);

        Assert.NotEqual(name, objectName);
        AssertDnsLabel(objectName);
    }

    [Fact]
    public void An_invalid_name_has_no_object_name()
    {
        Assert.Throws<ArgumentException>(() => VersNames.ToObjectName("a/b"));
        Assert.Throws<ArgumentException>(() => VersNames.TagObjectName("repo", ""));
    }

    [Fact]
    public void Any_valid_name_maps_to_a_DNS_label_of_at_most_63_characters() =>
        Name.Sample(name => AssertDnsLabel(VersNames.ToObjectName(name)), iter: 5_000);

    [Fact]
    public void Two_different_names_never_map_to_the_same_object_name() =>
        Gen.Select(Name, Name).Where(p => p.Item1 != p.Item2).Sample(
            (a, b) => VersNames.ToObjectName(a) != VersNames.ToObjectName(b),
            iter: 20_000);

    [Fact]
    public void A_set_of_confusable_names_maps_without_collisions() =>
        ConfusableName.Array[2, 200].Sample(names =>
        {
            var distinct = names.Distinct(StringComparer.Ordinal).ToList();
            return distinct.Select(VersNames.ToObjectName).Distinct(StringComparer.Ordinal).Count() == distinct.Count;
        }, iter: 500);

    [Fact]
    public void Two_different_repository_tag_pairs_never_map_to_the_same_tag_object_name() =>
        Gen.Select(Name, Name, Name, Name).Where(p => (p.Item1, p.Item2) != (p.Item3, p.Item4)).Sample(
            (repoA, tagA, repoB, tagB) => VersNames.TagObjectName(repoA, tagA) != VersNames.TagObjectName(repoB, tagB),
            iter: 20_000);

    [Theory]
    [InlineData("a.b", "c", "a", "b.c")]
    [InlineData("a", "b-c", "a-b", "c")]
    [InlineData("node", "latest", "node.latest", "x")]
    public void Tag_object_names_of_lookalike_pairs_differ(string repoA, string tagA, string repoB, string tagB) =>
        Assert.NotEqual(VersNames.TagObjectName(repoA, tagA), VersNames.TagObjectName(repoB, tagB));

    [Fact]
    public void Tag_object_names_are_valid_DNS_subdomains_of_at_most_63_characters() =>
        Gen.Select(Name, Name).Sample((repo, tag) =>
        {
            var name = VersNames.TagObjectName(repo, tag);
            Assert.True(name.Length <= 63, name);
            Assert.Matches(DnsSubdomain(), name);
        }, iter: 5_000);

    [Fact]
    public void Plain_repository_and_tag_names_make_a_readable_tag_object_name() =>
        Assert.Equal("node.latest", VersNames.TagObjectName("node", "latest"));

    [Fact]
    public void The_mapping_is_deterministic() =>
        Name.Sample(name =>
            VersNames.ToObjectName(name) == VersNames.ToObjectName(new string(name.ToCharArray()))
            && VersNames.TagObjectName(name, "v1.0") == VersNames.TagObjectName(new string(name.ToCharArray()), "v1.0"),
            iter: 2_000);

    [Fact]
    public void Escaped_names_keep_a_readable_lowercase_prefix() =>
        Assert.StartsWith("my-repo--", VersNames.ToObjectName("My_Repo"));

    private static void AssertDnsLabel(string name)
    {
        Assert.True(name.Length is >= 1 and <= 63, $"'{name}' has {name.Length} characters");
        Assert.Matches(DnsLabel(), name);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
