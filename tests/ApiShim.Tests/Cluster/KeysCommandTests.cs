using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.Api;
using Vers.Kube;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Cluster;

/// <summary>
/// The <c>keys</c> and <c>orgs</c> commands as an administrator runs them: with any kubeconfig (LocalCluster's
/// anonymous user, a token, a client certificate, an exec plugin), in the namespace the flag or the kubeconfig names,
/// and never making a key that every request would be refused with.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KeysCommandTests(ShimCluster cluster) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vers-keys-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Kubeconfig(string user, string server = "http://127.0.0.1:1", string? ns = "team-a")
    {
        var path = Path.Combine(_dir, $"kubeconfig-{Guid.NewGuid():N}");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: {server}
            contexts:
            - name: ctx
              context:
                cluster: c
                user: u
            {(ns is null ? "" : $"    namespace: {ns}")}
            users:
            - name: u
              user: {user}
            current-context: ctx
            """);
        return path;
    }

    /// <summary>The shim's command line as the program parses it, run against <paramref name="client"/> (a parse error is exit code 2).</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IKubernetes client, params string[] args)
    {
        var cli = new ApiShimCommandLine();
        var result = cli.Parse(args);
        if (result.Errors.Count > 0)
        {
            return (2, "", string.Join("\n", result.Errors.Select(e => e.Message)));
        }

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await cli.Read(result).Command!(client, TestStack.ReleaseNamespace, stdout, stderr, Ct);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static Task<(int Code, string Stdout, string Stderr)> KeysAsync(IKubernetes client, params string[] args) => RunAsync(client, ["keys", .. args]);

    private static Task<(int Code, string Stdout, string Stderr)> OrgsAsync(IKubernetes client, params string[] args) => RunAsync(client, ["orgs", .. args]);

    [Fact]
    public void A_user_without_credentials_is_loaded_as_an_anonymous_client_as_kubectl_does()
    {
        var config = KubeconfigLoader.Load(Kubeconfig("{}"), null);

        Assert.Equal("http://127.0.0.1:1/", config.Host.TrimEnd('/') + "/");
        Assert.Null(config.AccessToken);
        Assert.Null(config.TokenProvider);
        Assert.Null(config.ClientCertificateData);
        Assert.Equal("team-a", config.Namespace);
    }

    [Fact]
    public void A_token_user_is_loaded_with_its_token()
    {
        var config = KubeconfigLoader.Load(Kubeconfig("{ token: sekret-token }"), null);

        Assert.Equal("sekret-token", config.AccessToken);
    }

    [Fact]
    public void A_client_certificate_user_is_loaded_with_its_certificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=admin", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certData = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
        var keyData = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(key.ExportRSAPrivateKeyPem()));

        var config = KubeconfigLoader.Load(Kubeconfig($"{{ client-certificate-data: {certData}, client-key-data: {keyData} }}"), null);

        Assert.Equal(certData, config.ClientCertificateData);
        Assert.Equal(keyData, config.ClientCertificateKeyData);
        Assert.Null(config.AccessToken);
    }

    [Fact]
    public async Task An_exec_plugin_users_credential_is_what_the_commands_send()
    {
        var seen = new List<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var api = builder.Build();
        api.MapGet("/api/v1/namespaces/{ns}/secrets", (HttpContext http) =>
        {
            lock (seen)
            {
                seen.Add(http.Request.Headers.Authorization.ToString());
            }

            return Results.Json(new { kind = "SecretList", apiVersion = "v1", metadata = new { }, items = Array.Empty<object>() });
        });
        await api.StartAsync(Ct);
        var plugin = Path.Combine(_dir, "credential.sh");
        File.WriteAllText(plugin, """
            #!/bin/sh
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec-plugin"}}'
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var server = ApiShimServer.AddressOf(api).ToString().TrimEnd('/');
        var config = KubeconfigLoader.Load(
            Kubeconfig($"{{ exec: {{ apiVersion: client.authentication.k8s.io/v1, command: {plugin}, interactiveMode: Never }} }}", server), null);

        using var client = new Kubernetes(config);
        var (code, stdout, _) = await KeysAsync(client, "list");

        Assert.Equal(0, code);
        Assert.StartsWith("KEY ID", stdout, StringComparison.Ordinal);
        Assert.Equal(["Bearer from-exec-plugin"], seen);
    }

    [Theory]
    [InlineData("flag-ns", "pod-ns", "flag-ns")]
    [InlineData(null, "pod-ns", "pod-ns")]
    [InlineData(null, null, "team-a")]
    public void The_key_namespace_is_the_flags_else_the_pods_else_the_kubeconfig_contexts(string? flag, string? pod, string expected) =>
        Assert.Equal(expected, KubeconfigLoader.ReleaseNamespace(flag, pod, KubeconfigLoader.Load(Kubeconfig("{}"), null)));

    [Fact]
    public void Without_any_namespace_the_key_namespace_is_vers_system() =>
        Assert.Equal("vers-system", KubeconfigLoader.ReleaseNamespace(null, null, KubeconfigLoader.Load(Kubeconfig("{}", ns: null), null)));

    [Fact]
    public void A_missing_kubeconfig_is_a_clear_error() =>
        Assert.Contains("does not exist", Assert.Throws<k8s.Exceptions.KubeConfigException>(() => KubeconfigLoader.Load(Path.Combine(_dir, "nope"), null)).Message, StringComparison.Ordinal);

    [Fact]
    public async Task With_localclusters_own_kubeconfig_an_org_and_its_key_are_made_and_the_key_works()
    {
        var path = Path.Combine(_dir, "localcluster");
        cluster.Host.KubeApi.WriteKubeconfig(path);
        using var client = new Kubernetes(KubeconfigLoader.Load(path, null));
        var org = $"cli-{Guid.NewGuid():N}"[..14];

        var refused = await KeysAsync(client, "create", "--org", org);
        var created = await OrgsAsync(client, "create", org);
        var again = await OrgsAsync(client, "create", org);
        var key = await KeysAsync(client, "create", "--org", org);
        var listed = await OrgsAsync(client, "list");

        Assert.Equal(1, refused.Code);
        Assert.Equal($"organisation {org} does not exist: no namespace is labelled vers.sh/org={org}. Create it first with: orgs create {org}", refused.Stderr.Trim());
        Assert.Equal(0, created.Code);
        Assert.Equal($"Created organisation {org} (namespace {org})", created.Stdout.Trim());
        Assert.Equal(0, again.Code);
        Assert.Equal($"Organisation {org} already exists (namespace {org})", again.Stdout.Trim());
        Assert.Contains(listed.Stdout.Split('\n'), l => l.StartsWith(org, StringComparison.Ordinal) && l.TrimEnd().EndsWith(org, StringComparison.Ordinal));
        Assert.Equal(0, key.Code);
        var apiKey = key.Stdout.Trim();
        Assert.Equal(100, apiKey.Length);
        await Eventually.ReachAsync(async () => (await ShimCluster.GetAsync(cluster.Host.ApiAddress, "api/v1/vms", apiKey, Ct)).Status == 200, Ct);
    }

    [Fact]
    public async Task An_existing_unlabelled_namespace_becomes_the_org_and_another_orgs_namespace_is_refused()
    {
        using var client = new Kubernetes(cluster.Host.KubeApi.CreateClientConfiguration());
        var ns = $"plain-{Guid.NewGuid():N}"[..14];
        await cluster.Rest.CreateAsync(ResourceType.Namespace, null, new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = ns } }, Ct);

        var adopted = await OrgsAsync(client, "create", "Team_A" + ns[6..], "--namespace", ns);
        var taken = await OrgsAsync(client, "create", "other" + ns[6..], "--namespace", ns);
        var notALabel = await OrgsAsync(client, "create", "-bad-");
        var notANamespace = await OrgsAsync(client, "create", "Upper_Case");

        Assert.Equal(0, adopted.Code);
        Assert.Equal("Team_A" + ns[6..], (await cluster.Rest.GetAsync<V1Namespace>(ResourceType.Namespace, null, ns, Ct)).Metadata.Labels[VersGroup.OrgLabel]);
        Assert.Equal(1, taken.Code);
        Assert.Contains($"already belongs to organisation Team_A{ns[6..]}", taken.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, notALabel.Code);
        Assert.Equal(2, notANamespace.Code);
        Assert.Contains("--namespace", notANamespace.Stderr, StringComparison.Ordinal);
    }
}
