using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.Hosting;
using Vers.LocalCluster.KubeVirt;
using Vers.LocalCluster.Seeding;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.Operator.Tests.Forks;

/// <summary>
/// The all-in-one host (API server, KubeVirt/CDI simulator, operator) with org "vers" publishing public
/// node:latest and org "dev". Forks are created as RepositoryFork objects, the way kubectl would.
/// </summary>
internal sealed class ForkHost : IAsyncDisposable
{
    public const string SourceOrg = "vers";
    public const string OtherOrg = "dev";

    private ForkHost(AllInOneHost host, SimulatorOptions simulator)
    {
        Host = host;
        Simulator = simulator;
        Rest = new KubeRestClient(host.Client);
    }

    public AllInOneHost Host { get; }

    public SimulatorOptions Simulator { get; }

    public KubeRestClient Rest { get; }

    public IKubernetes Client => Host.Client;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="runOperator">Off for tests that run their own operator instance (e.g. on a client of <see cref="OperatorClient"/>).</param>
    public static async Task<ForkHost> StartAsync(ForkOptions? forks = null, bool runOperator = true)
    {
        var simulator = new SimulatorOptions();
        var host = await AllInOneHost.StartAsync(
            new AllInOneOptions
            {
                Listen = "http://127.0.0.1:0",
                KubeListen = "http://127.0.0.1:0",
                Kubeconfig = null,
                Seed = false,
                Forks = forks ?? new ForkOptions(),
                Simulator = simulator,
                LoggerFactory = NullLoggerFactory.Instance,
                RunOperator = runOperator,
            },
            Ct);
        try
        {
            var publisher = new RepositoryPublisher(host.Client);
            await publisher.EnsureOrgAsync(SourceOrg, Ct);
            await publisher.EnsureOrgAsync(OtherOrg, Ct);
            await publisher.PublishAsync(SourceOrg, SourceOrg, "node", "latest", Visibility.Public, Ct);
            return new ForkHost(host, simulator);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fork of vers/node:latest as kubectl would create it: no finalizer, no status.</summary>
    public Task<RepositoryFork> CreateForkAsync(
        string ns, string name, string? repoName = null, long? ttl = null, string sourceRepo = "node", long? failedTtl = null) =>
        Rest.CreateAsync(RepositoryFork.Type, ns, new RepositoryFork
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new RepositoryForkSpec
            {
                SourceOrg = SourceOrg, SourceRepo = sourceRepo, SourceTag = "latest", RepoName = repoName, TtlSecondsAfterFinished = ttl,
                TtlSecondsAfterFailure = failedTtl,
            },
        }, Ct);

    /// <summary>A client of the embedded API with the operator's User-Agent, through <paramref name="handlers"/>.</summary>
    public IKubernetes OperatorClient(params DelegatingHandler[] handlers)
    {
        var config = Host.KubeApi.CreateClientConfiguration();
        config.UserAgent = UserAgents.Operator;
        return new Kubernetes(config, handlers);
    }

    public Task<RepositoryFork> UntilForkAsync(string ns, string name, Func<RepositoryFork, bool> condition, int seconds = 20) =>
        Rest.UntilAsync(RepositoryFork.Type, ns, name, condition, TimeSpan.FromSeconds(seconds), Ct);

    /// <summary>Waits until the fork is Succeeded or Failed and the operator has let go of it (no finalizer left).</summary>
    public Task<RepositoryFork> FinishedAsync(string ns, string name, int seconds = 20) =>
        UntilForkAsync(ns, name, f => f.Status?.Phase is ForkPhase.Succeeded or ForkPhase.Failed && f.Metadata.Finalizers is null or { Count: 0 }, seconds);

    public async Task<List<T>> ListAsync<T>(ResourceType type, string ns, string? labelSelector = null)
        where T : IKubernetesObject =>
        [.. (await Rest.ListAsync<T>(type, ns, Ct, labelSelector: labelSelector)).Items];

    public Task<GenericObject?> TryGetAsync(ResourceType type, string ns, string name) => Rest.TryGetAsync<GenericObject>(type, ns, name, Ct);

    /// <summary>Waits, by watching, until the named object does not exist.</summary>
    public Task UntilGoneAsync(ResourceType type, string ns, string name, int seconds = 20) =>
        Rest.UntilGoneAsync(type, ns, name, TimeSpan.FromSeconds(seconds), Ct);

    /// <summary>Everything a fork may have created, for asserting it is all gone after a rollback.</summary>
    public async Task AssertRolledBackAsync(RepositoryFork fork, string repoName)
    {
        var ns = fork.Metadata.NamespaceProperty;
        var status = fork.Status!;
        Assert.NotNull(status.VmId);
        Assert.NotNull(status.CommitId);
        await UntilGoneAsync(KubeVirtTypes.VirtualMachine, ns, status.VmId);
        await UntilGoneAsync(KubeVirtTypes.VirtualMachineClone, ns, status.VmId);
        await UntilGoneAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, status.CommitId);
        await UntilGoneAsync(Commit.Type, ns, status.CommitId);
        await UntilGoneAsync(Repository.Type, ns, VersNames.ToObjectName(repoName));
        foreach (var dv in await ListAsync<GenericObject>(KubeVirtTypes.DataVolume, ns, $"{VersGroup.ForkUidLabel}={fork.Metadata.Uid}"))
        {
            await UntilGoneAsync(KubeVirtTypes.DataVolume, ns, dv.Metadata.Name);
        }

        Assert.Empty(await ListAsync<Tag>(Tag.Type, ns, $"{VersGroup.ForkUidLabel}={fork.Metadata.Uid}"));
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>One <see cref="ForkHost"/> shared by the tests of a class that need no failure injection; each test uses its own names.</summary>
public sealed class SharedForkHost : IAsyncLifetime
{
    private ForkHost? _host;

    internal ForkHost Host => _host ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _host = await ForkHost.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
