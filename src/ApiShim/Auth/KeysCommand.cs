using System.Net;
using k8s;
using Vers.Operator.Entities;
using Vers.Operator.Runtime.Client;

namespace Vers.ApiShim.Auth;

/// <summary>The <c>keys</c> command: create (prints the key once), revoke, list.</summary>
public static class KeysCommand
{
    public const string Usage =
        "usage: keys create --org ORG | keys revoke KEY_ID | keys list   [--kubeconfig PATH] [--context NAME] [--release-namespace NS]";

    public static async Task<int> RunAsync(
        IKubernetes client, string releaseNamespace, string[] args, IReadOnlyDictionary<string, string> flags, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        switch (args)
        {
            case ["create"] when flags.TryGetValue("org", out var org) && org.Length > 0:
                if (await OrgProblemAsync(client, org, stderr, ct) is { } problem)
                {
                    await stderr.WriteLineAsync(problem);
                    return 1;
                }

                var (key, info) = await ApiKeys.CreateAsync(client, releaseNamespace, org, ct);
                await stdout.WriteLineAsync(key);
                await stderr.WriteLineAsync($"Created API key {info.KeyId} for org {org} (Secret {releaseNamespace}/{ApiKeys.SecretName(info.KeyId)}). The key is shown only now.");
                return 0;
            case ["revoke", var keyId]:
                if (await ApiKeys.RevokeAsync(client, releaseNamespace, keyId, ct))
                {
                    await stdout.WriteLineAsync($"Revoked API key {keyId}");
                    return 0;
                }

                await stderr.WriteLineAsync($"No API key {keyId} in namespace {releaseNamespace}");
                return 1;
            case ["list"]:
                await stdout.WriteLineAsync($"{"KEY ID",-36}  {"ORG",-24}  CREATED");
                foreach (var k in await ApiKeys.ListAsync(client, releaseNamespace, ct))
                {
                    await stdout.WriteLineAsync($"{k.KeyId,-36}  {k.Org,-24}  {k.Created:yyyy-MM-ddTHH:mm:ssZ}");
                }

                return 0;
            default:
                await stderr.WriteLineAsync(Usage);
                return 2;
        }
    }

    /// <summary>
    /// Why no key should be made for <paramref name="org"/>: its name cannot be an organisation, or no namespace is
    /// labelled with it (every request with such a key would be refused). Null when the org exists — or, with a
    /// warning, when the caller may not list namespaces, which the key Secret itself does not need.
    /// </summary>
    private static async Task<string?> OrgProblemAsync(IKubernetes client, string org, TextWriter stderr, CancellationToken ct)
    {
        if (!OrgsCommand.IsOrgName(org))
        {
            return $"'{org}' cannot be an organisation name: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
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
