using k8s;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Auth;
using Vers.Operator.Entities;
using Vers.Operator.Runtime.Client;

namespace Vers.LocalCluster.Seeding;

/// <summary>
/// DESIGN §7's demo data: org "vers" with public node, python, rust and go (tag latest each) and a
/// private "internal", and org "dev" holding the dev API key and its own private "devbox" (so a
/// same-organisation fork can be tried at once). Safe to run again.
/// </summary>
public sealed class DemoSeeder(IKubernetes client, ILogger logger)
{
    public static readonly string[] PublicRepositories = ["node", "python", "rust", "go"];

    public async Task SeedAsync(string releaseNamespace, string devApiKey, CancellationToken ct)
    {
        var publisher = new RepositoryPublisher(client);
        await publisher.EnsureOrgAsync("vers", ct);
        await publisher.EnsureOrgAsync("dev", ct);
        await Task.WhenAll(PublicRepositories
            .Select(repo => publisher.PublishAsync("vers", "vers", repo, "latest", Visibility.Public, ct))
            .Append(publisher.PublishAsync("vers", "vers", "internal", "latest", Visibility.Private, ct))
            .Append(publisher.PublishAsync("dev", "dev", "devbox", "latest", Visibility.Private, ct)));
        await EnsureKeyAsync(releaseNamespace, "dev", devApiKey, ct);
        logger.LogInformation("Seeded org vers ({Repositories} public, internal private) and org dev (devbox private)", string.Join(", ", PublicRepositories));
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
