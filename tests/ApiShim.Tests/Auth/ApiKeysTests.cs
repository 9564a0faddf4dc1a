using Vers.ApiShim.Auth;

namespace Vers.ApiShim.Tests.Auth;

public sealed class ApiKeysTests
{
    [Fact]
    public void A_new_key_has_the_vers_format_of_a_uuid_and_64_hex_characters()
    {
        var key = ApiKeys.NewKey();

        Assert.Equal(100, key.Length);
        Assert.True(Guid.TryParseExact(key[..36], "D", out _));
        Assert.Matches("^[0-9a-f]{64}$", key[36..]);
    }

    [Fact]
    public void The_id_of_a_vers_format_key_is_its_uuid_prefix()
    {
        var key = ApiKeys.NewKey();

        Assert.Equal(key[..36], ApiKeys.KeyIdOf(key));
    }

    [Fact]
    public void A_chosen_key_gets_an_id_derived_from_its_hash_not_from_its_text()
    {
        var id = ApiKeys.KeyIdOf("vers-dev-key-0123456789");

        Assert.NotNull(id);
        Assert.Matches("^h[0-9a-f]{32}$", id);
        Assert.DoesNotContain("vers-dev", id, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("has a space in it 123")]
    public void Text_that_cannot_be_a_key_has_no_id(string key) => Assert.Null(ApiKeys.KeyIdOf(key));

    [Fact]
    public void Two_new_keys_differ() => Assert.NotEqual(ApiKeys.NewKey(), ApiKeys.NewKey());
}
