using System.Net;
using k8s;
using Vers.Api;
using Vers.Kube.Client;

namespace Vers.ApiShim.Auth;

/// <summary>The <c>keys</c> commands (parsed by <see cref="Hosting.ApiShimCommandLine"/>): create (prints the key once), revoke, list.</summary>
public static class KeysCommand
{
    /// <summary><c>keys create --org ORG</c>: prints the key (only now) once the org is known to exist.</summary>
    public static async Task<int> CreateAsync(IKubernetes client, string releaseNamespace, string org, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (await OrgProblemAsync(client, org, stderr, ct) is { } problem)
        {
            await stderr.WriteLineAsync(problem);
            return 1;
        }

        var (key, info) = await ApiKeys.CreateAsync(client, releaseNamespace, org, ct);
        await stdout.WriteLineAsync(key);
        await stderr.WriteLineAsync($"Created API key {info.KeyId} for org {org} (Secret {releaseNamespace}/{ApiKeys.SecretName(info.KeyId)}). The key is shown only now.");
        return 0;
    }

    /// <summary><c>keys revoke KEY_ID</c>.</summary>
    public static async Task<int> RevokeAsync(IKubernetes client, string releaseNamespace, string keyId, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (await ApiKeys.RevokeAsync(client, releaseNamespace, keyId, ct))
        {
            await stdout.WriteLineAsync($"Revoked API key {keyId}");
            return 0;
        }

        await stderr.WriteLineAsync($"No API key {keyId} in namespace {releaseNamespace}");
        return 1;
    }

    /// <summary><c>keys list</c>.</summary>
    public static async Task<int> ListAsync(IKubernetes client, string releaseNamespace, TextWriter stdout, CancellationToken ct)
    {
        await stdout.WriteLineAsync($"{"KEY ID",-36}  {"ORG",-24}  CREATED");
        foreach (var k in await ApiKeys.ListAsync(client, releaseNamespace, ct))
        {
            await stdout.WriteLineAsync($"{k.KeyId,-36}  {k.Org,-24}  {k.Created:yyyy-MM-ddTHH:mm:ssZ}");
        }

        return 0;
    }

    /// <summary>
    /// Why no key should be made for <paramref name="org"/>: its name cannot be an organisation, or no namespace is
    /// labelled with it (every request with such a key would be refused). Null when the org exists — or, with a
    /// warning, when the caller may not list namespaces, which the key Secret itself does not need.
    /// </summary>
    private static async Task<string?> OrgProblemAsync(IKubernetes client, string org, TextWriter stderr, CancellationToken ct)
    {
        if (!VersNames.IsOrg(org))
        {
            return $"'{org}' cannot be an organisation name: {VersNames.OrgRule}";
        }

        try
        {
            return (await OrgsCommand.NamespacesOfAsync(client, org, ct)).Count > 0
                ? null
                : $"organisation {org} does not exist: no namespace is labelled {VersGroup.OrgLabel}={org}. Create it first with: orgs create {org}";
        }
        catch (KubeApiException e) when (e.StatusCode == HttpStatusCode.Forbidden)
        {
            await stderr.WriteLineAsync($"warning: cannot check that organisation {org} exists (listing namespaces is forbidden); creating the key anyway");
            return null;
        }
    }
}
