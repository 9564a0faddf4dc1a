using k8s;

namespace Vers.ApiShim.Auth;

/// <summary>The <c>keys</c> command: create (prints the key once), revoke, list.</summary>
public static class KeysCommand
{
    public static async Task<int> RunAsync(
        IKubernetes client, string releaseNamespace, string[] args, IReadOnlyDictionary<string, string> flags, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        switch (args)
        {
            case ["create"] when flags.TryGetValue("org", out var org) && org.Length > 0:
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
                await stderr.WriteLineAsync("usage: keys create --org ORG | keys revoke KEY_ID | keys list   [--kubeconfig PATH] [--release-namespace NS]");
                return 2;
        }
    }
}
