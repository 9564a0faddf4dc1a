using CsCheck;
using Vers.Api;

namespace Vers.Api.Tests.Entities;

/// <summary>
/// Kubernetes' naming rules as the operator and the API shim check them (<see cref="KubernetesNames"/>), and the
/// organisation rule built on them; the embedded API server's own copy must agree with apimachinery, and so must these.
/// </summary>
public sealed class KubernetesNamesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("my-name")]
    [InlineData("123-abc")]
    [InlineData("a--b")]
    [InlineData("012345678901234567890123456789012345678901234567890123456789012")]
    public void Accepts_dns_labels(string name) => Assert.True(KubernetesNames.IsDnsLabel(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a.b")]
    [InlineData("a_b")]
    [InlineData("trailing\n")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Rejects_what_is_not_a_dns_label(string? name) => Assert.False(KubernetesNames.IsDnsLabel(name));

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("Team_A.v1-2")]
    [InlineData("012345678901234567890123456789012345678901234567890123456789012")]
    public void Accepts_label_values(string value) => Assert.True(KubernetesNames.IsLabelValue(value));

    [Theory]
    [InlineData(null)]
    [InlineData("-a")]
    [InlineData("a.")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("trailing\n")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Rejects_what_is_not_a_label_value(string? value) => Assert.False(KubernetesNames.IsLabelValue(value));

    [Theory]
    [InlineData("dev", true)]
    [InlineData("Team_A", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("-bad-", false)]
    [InlineData("a/b", false)]
    public void An_organisation_is_a_label_value_that_is_not_empty(string? org, bool valid) => Assert.Equal(valid, VersNames.IsOrg(org));

    [Fact]
    public void A_vers_name_has_a_problem_exactly_when_it_is_not_valid() =>
        Gen.Char["ab.-_:/ \nü"].Array[0, 66].Select(c => new string(c))
            .Sample(name => (VersNames.Problem("name", name, VersNames.MaxLength) is null) == VersNames.IsValid(name));

    [Fact]
    public void Every_dns_label_is_a_label_value() =>
        Gen.Char["ab0-._A"].Array[0, 65].Select(c => new string(c))
            .Sample(name => !KubernetesNames.IsDnsLabel(name) || KubernetesNames.IsLabelValue(name));
}
