using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Vers.LocalCluster.Hosting;
using Vers.Kube.Client;

namespace Vers.EndToEnd.Tests.Backends;

/// <summary>
/// A Kubernetes API to run the end-to-end scenarios against, with the product installed on it by the
/// same code path everywhere (<see cref="VersStack"/>): CRDs with a wait for Established, release
/// namespace, operator, demo data, fork API; the KubeVirt/CDI simulator unless real KubeVirt runs there.
/// A backend that cannot run here says why in <see cref="SkipReason"/>, and its tests report themselves
/// skipped with that reason.
/// </summary>
public abstract class ClusterBackend : IAsyncLifetime
{
    public const string DevApiKey = "e2e-backend-key-0123456789abcdef";

    private VersStack? _stack;

    public abstract string Name { get; }

    public string? SkipReason { get; protected set; }

    public SeedOrgs Orgs { get; protected set; } = new();

    /// <summary>How long one fork may take here (the simulator is quick; real KubeVirt is not).</summary>
    public TimeSpan ForkTimeout { get; protected set; } = TimeSpan.FromSeconds(30);

    public HttpClient Http { get; private set; } = null!;

    public IKubernetes Kube => Stack.Client;

    public KubeRestClient Rest { get; private set; } = null!;

    private VersStack Stack => _stack ?? throw new InvalidOperationException($"{Name} is not running: {SkipReason}");

    public async ValueTask InitializeAsync()
    {
        var clientFor = await StartClusterAsync();
        if (clientFor is null)
        {
            // Said once per backend at default verbosity too: every scenario of it is skipped for this reason.
            TestContext.Current.SendDiagnosticMessage($"{Name} scenarios are skipped: {SkipReason}");
            return;
        }

        _stack = await VersStack.StartAsync(
            clientFor,
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                DevApiKey = DevApiKey,
                Orgs = Orgs,
                ReleaseNamespace = ReleaseNamespace,
                SimulateKubeVirt = SimulateKubeVirt,
                ForkWaitTimeout = ForkTimeout,
            },
            CancellationToken.None);
        Http = new HttpClient { BaseAddress = _stack.Shim.BaseAddress, Timeout = ForkTimeout + TimeSpan.FromSeconds(30) };
        Rest = new KubeRestClient(_stack.Client);
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }

        await StopClusterAsync();
        GC.SuppressFinalize(this);
    }

    protected virtual string ReleaseNamespace => "vers-system";

    protected virtual bool SimulateKubeVirt => true;

    /// <summary>Starts the cluster and answers a client factory (by User-Agent), or null with <see cref="SkipReason"/> set.</summary>
    protected abstract Task<Func<string, IKubernetes>?> StartClusterAsync();

    protected abstract Task StopClusterAsync();

    /// <summary>POSTs a fork request with the backend's dev key (or <paramref name="apiKey"/>; "" sends none).</summary>
    public async Task<(int Status, JsonObject? Body)> ForkAsync(object body, string? apiKey = DevApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/repositories/fork")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
    }

    protected static Func<string, IKubernetes> ClientsFrom(Func<KubernetesClientConfiguration> config) => userAgent =>
    {
        var c = config();
        c.UserAgent = userAgent;
        return new Kubernetes(c);
    };
}
