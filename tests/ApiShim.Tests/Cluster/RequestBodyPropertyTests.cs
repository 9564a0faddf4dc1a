using System.Globalization;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>
/// Random request bodies against the running fork API (<see cref="ForkRequestBodyProperty"/>): no input
/// yields a 500, every invalid input is refused with 400 and the error body without a cluster object, and
/// valid input gets a fork outcome. Case count: VERS_PROPERTY_CASES (default 300; tests/Reliability.Tests
/// runs the same property at 1,000 or more).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RequestBodyPropertyTests(ShimCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long Cases =>
        long.TryParse(Environment.GetEnvironmentVariable("VERS_PROPERTY_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 300;

    [Fact]
    public async Task No_body_yields_a_500_and_invalid_bodies_are_refused_without_creating_anything()
    {
        var org = await cluster.NewOrgAsync();
        var api = cluster.Host.ApiAddress;

        await ForkRequestBodyProperty.CheckAsync(
            async body =>
            {
                var answer = await ShimCluster.ForkAsync(api, org.Key, body, Ct);
                return new ForkRequestBodyProperty.Answer(answer.Status, answer.Body, answer.Text);
            },
            async () => (await cluster.ForksOfAsync(org, Ct)).Count,
            Cases);
    }
}
