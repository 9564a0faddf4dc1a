using k8s;
using k8s.Models;
using Vers.Api;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.ApiShim.Auth;

/// <summary>
/// The <c>orgs</c> commands (parsed by <see cref="Hosting.ApiShimCommandLine"/>): an organisation is a namespace labelled <c>vers.sh/org=&lt;org&gt;</c>. <c>orgs create ORG
/// [--namespace NS]</c> makes it (or labels an existing, unlabelled namespace); <c>orgs list</c> shows them.
/// </summary>
public static class OrgsCommand
{
    /// <summary><c>orgs list</c>.</summary>
    public static async Task<int> PrintAsync(IKubernetes client, TextWriter stdout, CancellationToken ct)
    {
        await stdout.WriteLineAsync($"{"ORG",-32}  NAMESPACE");
        foreach (var (name, ns) in await ListAsync(client, ct))
        {
            await stdout.WriteLineAsync($"{name,-32}  {ns}");
        }

        return 0;
    }

    /// <summary>The organisations (label value, namespace), by name.</summary>
    public static async Task<IReadOnlyList<(string Org, string Namespace)>> ListAsync(IKubernetes client, CancellationToken ct) =>
        [.. (await new KubeRestClient(client).ListAsync<V1Namespace>(ResourceType.Namespace, null, ct, labelSelector: VersGroup.OrgLabel)).Items
            .Where(n => n.Metadata.DeletionTimestamp is null)
            .Select(n => (Org: n.Metadata.Labels[VersGroup.OrgLabel], Namespace: n.Metadata.Name))
            .OrderBy(o => o.Org, StringComparer.Ordinal)
            .ThenBy(o => o.Namespace, StringComparer.Ordinal)];

    /// <summary>The namespaces of <paramref name="org"/>: none when it does not exist.</summary>
    public static async Task<IReadOnlyList<string>> NamespacesOfAsync(IKubernetes client, string org, CancellationToken ct) =>
        [.. (await new KubeRestClient(client).ListAsync<V1Namespace>(ResourceType.Namespace, null, ct, labelSelector: $"{VersGroup.OrgLabel}={org}")).Items
            .Where(n => n.Metadata.DeletionTimestamp is null)
            .Select(n => n.Metadata.Name)];

    /// <summary><c>orgs create ORG [--namespace NS]</c>.</summary>
    public static async Task<int> CreateAsync(IKubernetes client, string org, string? ns, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (!VersNames.IsOrg(org))
        {
            await stderr.WriteLineAsync($"'{org}' cannot be an organisation name: {VersNames.OrgRule}");
            return 2;
        }

        ns ??= org;
        if (!KubernetesNames.IsDnsLabel(ns))
        {
            await stderr.WriteLineAsync($"'{ns}' is not a valid namespace name (lowercase letters, digits and '-', at most 63); choose one with --namespace");
            return 2;
        }

        if ((await NamespacesOfAsync(client, org, ct)) is [var existing, ..])
        {
            await stdout.WriteLineAsync($"Organisation {org} already exists (namespace {existing})");
            return 0;
        }

        var rest = new KubeRestClient(client);
        try
        {
            await rest.CreateAsync(ResourceType.Namespace, null, new V1Namespace
            {
                ApiVersion = "v1",
                Kind = "Namespace",
                Metadata = new V1ObjectMeta
                {
                    Name = ns,
                    Labels = new Dictionary<string, string> { [VersGroup.OrgLabel] = org, ["app.kubernetes.io/part-of"] = "vers" },
                },
            }, ct);
            await stdout.WriteLineAsync($"Created organisation {org} (namespace {ns})");
            return 0;
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var current = await rest.GetAsync<V1Namespace>(ResourceType.Namespace, null, ns, ct);
            if (current.Metadata.Labels?.TryGetValue(VersGroup.OrgLabel, out var other) == true)
            {
                await stderr.WriteLineAsync($"Namespace {ns} already belongs to organisation {other}; choose another with --namespace");
                return 1;
            }

            await rest.PatchAsync<V1Namespace>(ResourceType.Namespace, null, ns, new { metadata = new { labels = new Dictionary<string, string> { [VersGroup.OrgLabel] = org } } }, ct);
            await stdout.WriteLineAsync($"Organisation {org} is now the existing namespace {ns} (labelled {VersGroup.OrgLabel}={org})");
            return 0;
        }
    }
}
