using k8s;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Auth;
using Vers.Api;
using Vers.Kube.Client;

namespace Vers.LocalCluster.Seeding;

/// <summary>
/// The demo data (docs/architecture.md#demo-data): org "vers" with public node, python, rust and go (tag latest each) and a
/// private "internal", and org "dev" holding the dev API key and its own private "devbox" (so a
/// same-organisation fork can be tried at once). Safe to run again.
/// </summary>
public sealed class DemoSeeder(IKubernetes client, ILogger logger)
{
    public static readonly string[] PublicRepositories = ["node", "python", "rust", "go"];

    public Task SeedAsync(string releaseNamespace, string devApiKey, CancellationToken ct) =>
        SeedAsync(releaseNamespace, devApiKey, new Hosting.SeedOrgs(), ct);

    public async Task SeedAsync(string releaseNamespace, string devApiKey, Hosting.SeedOrgs orgs, CancellationToken ct)
    {
        var publisher = new RepositoryPublisher(client);
        await publisher.EnsureOrgAsync(orgs.Source, ct, orgs.SourceNamespace);
        await publisher.EnsureOrgAsync(orgs.Dev, ct, orgs.DevNamespace);
        await Task.WhenAll(PublicRepositories
            .Select(repo => publisher.PublishAsync(orgs.SourceNamespace, orgs.Source, repo, "latest", Visibility.Public, ct))
            .Append(publisher.PublishAsync(orgs.SourceNamespace, orgs.Source, "internal", "latest", Visibility.Private, ct))
            .Append(publisher.PublishAsync(orgs.DevNamespace, orgs.Dev, "devbox", "latest", Visibility.Private, ct)));
        await EnsureKeyAsync(releaseNamespace, orgs.Dev, devApiKey, ct);
        logger.LogInformation(
            "Seeded org {SourceOrg} ({Repositories} public, internal private) and org {DevOrg} (devbox private)",
            orgs.Source, string.Join(", ", PublicRepositories), orgs.Dev);
    }

    public async Task EnsureKeyAsync(string releaseNamespace, string org, string key, CancellationToken ct)
    {
        try
        {
            await ApiKeys.CreateAsync(client, releaseNamespace, org, ct, key);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // The same key was seeded before.
        }
    }
}
