using System.Diagnostics;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// The fork API's request-body property (shared with tests/ApiShim.Tests, where it runs 300 cases) at
/// VERS_RELIABILITY_PROPERTY_CASES cases (default 1,000): no body yields a 500; an invalid body is refused with 400 and
/// the error body, and nothing appears in the caller's org (no RepositoryFork, Repository or VM); a valid one gets a
/// fork outcome (201, 404 or 409).
/// </summary>
[Trait("Category", "Reliability")]
public sealed class BadInputTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private readonly TestStack _host = shared.Host;

    [Fact]
    public async Task A_thousand_random_bodies_never_yield_a_500_and_rejected_ones_create_nothing()
    {
        var cases = Figures.FromEnvironment("VERS_RELIABILITY_PROPERTY_CASES", 1000);
        var org = await _host.NewOrgAsync("bad-input");
        var clock = Stopwatch.StartNew();

        var (valid, invalid) = await ForkRequestBodyProperty.CheckAsync(
            async body =>
            {
                var answer = await _host.ForkAsync(org.Key, body);
                return new ForkRequestBodyProperty.Answer(answer.Status, answer.Body, answer.Text);
            },
            async () =>
                (await _host.ListAsync<RepositoryFork>(RepositoryFork.Type, org.Namespace)).Count
                + (await _host.ListAsync<Repository>(Repository.Type, org.Namespace)).Count
                + (await _host.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachine, org.Namespace)).Count,
            cases);

        Figures.Report($"bad input: {cases} random request bodies ({invalid} invalid → 400, nothing created; {valid} valid → 201/404/409), no 500, in {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
