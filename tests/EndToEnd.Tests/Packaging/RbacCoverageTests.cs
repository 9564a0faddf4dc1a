using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Operator.Hosting;
using Vers.Kube.Client;
using Vers.Kube.LeaderElection;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>
/// Least privilege, checked against behaviour: an operator and a shim run on clients that record every request,
/// through successful, failing, rolled-back, deleted and expiring forks and the keys command; then each request
/// must be allowed by the chart's rendered RBAC for that component's ServiceAccount (in the right namespace), and
/// each granted verb must have been used — except the few listed in <see cref="NotCalledButNeeded"/>.
/// </summary>
/// <remarks>
/// The shared all-in-one host runs an operator of its own and one client for everything, so this test starts a
/// second host without its operator and runs the components under test on their own recording clients.
/// </remarks>
public sealed class RbacCoverageTests
{
    private const string Operator = "operator";
    private const string Shim = "api-shim";
    private const string Keys = "keys-command";
    private const string DevKey = "rbac-dev-key-0123456789abcdef";

    /// <summary>
    /// Granted, but never sent by our code as a request, so no recording can show them. Each with its reason.
    /// </summary>
    private static readonly (string Client, string Group, string Resource, string Verb, string Why)[] NotCalledButNeeded =
    [
        // Checked by admission or by another controller, never sent by us.
        (Operator, "vers.sh", "repositories/finalizers", "update",
            "Tags carry ownerReferences to their Repository with blockOwnerDeletion; OwnerReferencesPermissionEnforcement (OpenShift) checks this"),
        (Operator, "vers.sh", "commits/finalizers", "update",
            "VirtualMachineSnapshots carry ownerReferences to their Commit with blockOwnerDeletion; same admission check"),
        (Operator, "cdi.kubevirt.io", "datavolumes/source", "create",
            "CDI's webhook authorises a cross-namespace clone source with a SubjectAccessReview for the DataVolume's creator (granted in org namespaces only)"),

        // Rare paths of the operator: adopting an object that already exists after a crash (create -> AlreadyExists
        // -> get), reading past a cache that has not seen an object yet, rolling back after the Tag was recorded.
        // (Whether a cache-miss get happens depends on timing, so these gets are listed even when a run shows them.)
        (Operator, "vers.sh", "commits", "get", "adopt the Commit after a crash between create and status write"),
        (Operator, "vers.sh", "repositories", "get", "the claimed target Repository past the cache; adopt after a crash"),
        (Operator, "vers.sh", "tags", "get", "the Tag past the cache; adopt after a crash"),
        (Operator, "clone.kubevirt.io", "virtualmachineclones", "get", "adopt the VirtualMachineClone (AlreadyExists)"),
        (Operator, "kubevirt.io", "virtualmachines", "get", "the new VM before the informer has seen it"),
        (Operator, "snapshot.kubevirt.io", "virtualmachinesnapshots", "get", "the source snapshot past the cache; adopt the commit snapshot"),
        (Operator, "cdi.kubevirt.io", "datavolumes", "get", "adopt DataVolumes after a crash"),
        (Operator, "vers.sh", "tags", "delete", "rollback of a fork that failed after its Tag was recorded"),
        (Operator, "vers.sh", "tags", "patch", "status.reference into an adopted Tag made without it (Tag has no status subresource)"),

        // The shim's read endpoints and Idempotency-Key (being added on the apishim-contract branch): drop these
        // entries once they are merged and the recording shows them.
        (Shim, "vers.sh", "repositoryforks", "get", "Idempotency-Key: the fork named by the key, past the cache"),
        (Shim, "vers.sh", "repositories", "get", "read endpoints"),
        (Shim, "vers.sh", "repositories", "list", "read endpoints: informer"),
        (Shim, "vers.sh", "repositories", "watch", "read endpoints: informer"),
        (Shim, "vers.sh", "tags", "get", "read endpoints"),
        (Shim, "vers.sh", "tags", "list", "read endpoints: informer"),
        (Shim, "vers.sh", "tags", "watch", "read endpoints: informer"),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_operator_and_the_shim_use_exactly_the_verbs_the_chart_grants()
    {
        ChartTests.SkipWithoutHelm();
        // The source org of the recorded forks is one of the chart's orgs: that is where the operator may clone from.
        var defaults = Manifests.Parse(await Helm.TemplateAsync("--set", "orgs[0].name=vers"));
        var withKeyManagement = Manifests.Parse(await Helm.TemplateAsync("--set", "apiShim.keyManagementInPod=true"));

        var requests = await RecordAsync();

        var problems = new List<string>();
        var clients = new (string Client, string ServiceAccount, IReadOnlyList<Grant> Grants)[]
        {
            (Operator, "vers-operator", Rbac.GrantsOf(defaults, Helm.ReleaseNamespace, "vers-operator")),
            (Shim, "vers-api-shim", Rbac.GrantsOf(defaults, Helm.ReleaseNamespace, "vers-api-shim")),
            (Keys, "vers-api-shim", Rbac.GrantsOf(withKeyManagement, Helm.ReleaseNamespace, "vers-api-shim")),
        };
        foreach (var (client, sa, grants) in clients)
        {
            var made = requests.Where(r => r.Client == client).ToList();
            Assert.True(made.Count > 0, $"{client} made no requests");
            problems.AddRange(made.Where(r => !grants.Any(g => g.Allows(r))).Select(r => $"missing: {r} (as {sa})").Distinct());
            if (client == Keys)
            {
                continue; // the keys command shares the shim's ServiceAccount; the shim's own run covers its grants
            }

            problems.AddRange(NotCalledButNeeded
                .Where(n => n.Client == client && !grants.Any(g => (g.Group, g.Resource, g.Verb) == (n.Group, n.Resource, n.Verb)))
                .Select(n => $"stale allow-list entry: {client} is not granted {n.Verb} {n.Group}/{n.Resource}"));
            var allowedUnused = NotCalledButNeeded.Where(n => n.Client == client).Select(n => (n.Group, n.Resource, n.Verb)).ToHashSet();
            problems.AddRange(grants
                .Where(g => !made.Any(g.Allows) && !allowedUnused.Contains((g.Group, g.Resource, g.Verb)))
                .Where(g => !(client == Shim && requests.Any(r => r.Client == Keys && g.Allows(r))))
                .Select(g => $"unused: {client} is granted {g}"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems.Order(StringComparer.Ordinal)) + "\n\nrecorded:\n" +
            string.Join('\n', requests.Select(r => r.ToString()).Distinct().Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Request_resolution_matches_the_api_servers_request_info()
    {
        ApiRequest R(string method, string url) => RequestRecorder.Resolve("c", new HttpMethod(method), new Uri("http://x" + url))!;

        Assert.Equal(("watch", "vers.sh", "repositoryforks", (string?)null), Tuple(R("GET", "/apis/vers.sh/v1alpha1/repositoryforks?watch=true&labelSelector=a")));
        Assert.Equal(("list", "", "namespaces", (string?)null), Tuple(R("GET", "/api/v1/namespaces?labelSelector=vers.sh%2Forg")));
        Assert.Equal(("get", "", "namespaces", (string?)null), Tuple(R("GET", "/api/v1/namespaces/dev")));
        Assert.Equal(("update", "", "namespaces/finalize", (string?)null), Tuple(R("PUT", "/api/v1/namespaces/dev/finalize")));
        Assert.Equal(("list", "", "secrets", "vers-system"), Tuple(R("GET", "/api/v1/namespaces/vers-system/secrets")));
        Assert.Equal(("update", "vers.sh", "repositoryforks/status", "dev"), Tuple(R("PUT", "/apis/vers.sh/v1alpha1/namespaces/dev/repositoryforks/f/status")));
        Assert.Equal(("deletecollection", "kubevirt.io", "virtualmachines", "dev"), Tuple(R("DELETE", "/apis/kubevirt.io/v1/namespaces/dev/virtualmachines")));
        Assert.Null(RequestRecorder.Resolve("c", HttpMethod.Get, new Uri("http://x/apis/vers.sh/v1alpha1")));
        Assert.Null(RequestRecorder.Resolve("c", HttpMethod.Get, new Uri("http://x/version")));

        static (string, string, string, string?) Tuple(ApiRequest r) => (r.Verb, r.Group, r.Resource, r.Namespace);
    }

    /// <summary>Runs the components on recording clients through every path that reaches the API, and answers what they called.</summary>
    private static async Task<List<ApiRequest>> RecordAsync()
    {
        var log = new ConcurrentQueue<ApiRequest>();
        await using var host = await AllInOneHost.StartAsync(
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                KubeListen = "http://127.0.0.1:0",
                Kubeconfig = null,
                DevApiKey = DevKey,
                RunOperator = false,
                ReleaseNamespace = Helm.ReleaseNamespace,
            },
            Ct);
        IKubernetes Recording(string client) => new Kubernetes(host.KubeApi.CreateClientConfiguration(), new RequestRecorder(client, log));
        var admin = new KubeRestClient(host.Client);

        using var operatorClient = (Kubernetes)Recording(Operator);
        using var shimClient = (Kubernetes)Recording(Shim);
        using var keysClient = (Kubernetes)Recording(Keys);
        var versOperator = new VersOperator(operatorClient, NullLoggerFactory.Instance, new VersOperatorOptions
        {
            Identity = "rbac-test",
            LeaderElection = new LeaderElectionOptions(Helm.ReleaseNamespace, "vers-operator-leader")
            {
                LeaseDuration = TimeSpan.FromSeconds(4),
                RenewDeadline = TimeSpan.FromSeconds(3),
                RetryPeriod = TimeSpan.FromMilliseconds(500),
            },
        });
        await using (versOperator)
        {
            await versOperator.StartAsync(Ct);
            await versOperator.WaitForLeadershipAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            await using (var shim = await ApiShimServer.StartAsync(
                shimClient,
                new ApiShimOptions { Listen = "http://127.0.0.1:0", ReleaseNamespace = Helm.ReleaseNamespace, WaitTimeout = TimeSpan.FromSeconds(30) },
                NullLoggerFactory.Instance,
                Ct))
            {
                using var http = new HttpClient { BaseAddress = shim.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

                // Same org (VirtualMachineClone) and across orgs (DataVolumes), then the answers without a fork.
                Assert.Equal(201, await ForkAsync(http, """{"source_org":"dev","source_repo":"devbox","source_tag":"latest","repo_name":"rbac-same"}"""));
                Assert.Equal(201, await ForkAsync(http, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"rbac-cross"}"""));
                Assert.Equal(409, await ForkAsync(http, """{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"rbac-cross"}"""));
                Assert.Equal(404, await ForkAsync(http, """{"source_org":"vers","source_repo":"internal","source_tag":"latest","repo_name":"rbac-private"}"""));
                Assert.Equal(400, await ForkAsync(http, """{"source_org":"vers"}"""));
                Assert.Equal(401, await ForkAsync(http, """{"source_org":"vers","source_repo":"node","source_tag":"latest"}""", "wrong-key-0123456789abcdef"));

                // Failures after the target was claimed roll back: the clone path, then the DataVolume path.
                host.Simulator.Options.FailNext("VirtualMachineSnapshot");
                Assert.Equal(500, await ForkAsync(http, """{"source_org":"dev","source_repo":"devbox","source_tag":"latest","repo_name":"rbac-fail-same"}"""));
                host.Simulator.Options.FailNext("DataVolume");
                Assert.Equal(500, await ForkAsync(http, """{"source_org":"vers","source_repo":"go","source_tag":"latest","repo_name":"rbac-fail-cross"}"""));

                // A fork deleted mid-flight rolls back through its finalizer; a finished one with a TTL expires.
                host.Simulator.Options.SetDelay("VirtualMachine", TimeSpan.FromSeconds(3));
                await CreateForkAsync(admin, "rbac-deleted", "python", ttl: null);
                await WaitAsync(async () => (await admin.TryGetAsync<RepositoryFork>(RepositoryFork.Type, "dev", "rbac-deleted", Ct))?.Status?.VmId is not null);
                await admin.DeleteAsync(RepositoryFork.Type, "dev", "rbac-deleted", Ct);
                await WaitAsync(async () => await admin.TryGetAsync<RepositoryFork>(RepositoryFork.Type, "dev", "rbac-deleted", Ct) is null);
                host.Simulator.Options.SetDelay("VirtualMachine", TimeSpan.Zero);
                await CreateForkAsync(admin, "rbac-expiring", "rust", ttl: 0);
                await WaitAsync(async () => await admin.TryGetAsync<RepositoryFork>(RepositoryFork.Type, "dev", "rbac-expiring", Ct) is null);
            }
        }

        // The keys command, as "kubectl exec deploy/vers-api-shim -- ... keys" runs it with the shim's ServiceAccount.
        var (key, info) = await ApiKeys.CreateAsync(keysClient, Helm.ReleaseNamespace, "dev", Ct);
        Assert.NotEmpty(key);
        Assert.Contains(await ApiKeys.ListAsync(keysClient, Helm.ReleaseNamespace, Ct), k => k.KeyId == info.KeyId);
        Assert.True(await ApiKeys.RevokeAsync(keysClient, Helm.ReleaseNamespace, info.KeyId, Ct));
        return [.. log];
    }

    private static async Task<int> ForkAsync(HttpClient http, string body, string key = DevKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/repositories/fork") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request, Ct);
        return (int)response.StatusCode;
    }

    private static Task CreateForkAsync(KubeRestClient admin, string name, string repo, long? ttl) =>
        admin.CreateAsync(RepositoryFork.Type, "dev", new RepositoryFork
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "dev" },
            Spec = new RepositoryForkSpec { SourceOrg = "vers", SourceRepo = repo, SourceTag = "latest", RepoName = name, TtlSecondsAfterFinished = ttl },
        }, Ct);

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the fork");
            await Task.Delay(100, Ct);
        }
    }
}
