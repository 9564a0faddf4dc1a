using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.KubeVirt;
using Vers.Api;
using Vers.Api.Crds;
using Vers.Operator.Hosting;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.Operator.Tests.Support;

/// <summary>
/// An API server with the CRDs and the given namespaces, where objects can be made before the operator starts (as
/// kubectl or GitOps would make them), then the operator alone (no simulator).
/// </summary>
internal sealed class OperatorEnv : IAsyncDisposable
{
    private readonly ApiServer _server;
    private VersOperator? _operator;

    private OperatorEnv(ApiServer server) => _server = server;

    public KubeRestClient Rest => _server.Rest;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<OperatorEnv> StartAsync(params string[] namespaces)
    {
        var server = await ApiServer.StartAsync();
        await new CrdInstaller(server.Client, NullLogger.Instance).InstallAsync(
            CrdGenerator.All().Concat(KubeVirtCrds.All), TimeSpan.FromSeconds(30), Ct);
        foreach (var ns in namespaces)
        {
            await server.Rest.CreateAsync(ResourceType.Namespace, null, new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, Ct);
        }

        return new OperatorEnv(server);
    }

    public async Task StartOperatorAsync()
    {
        _operator = new VersOperator(_server.Client, NullLoggerFactory.Instance, new VersOperatorOptions { Identity = "test" });
        await _operator.StartAsync(Ct);
    }

    public Task<Repository> CreateRepositoryAsync(string ns, string name) =>
        Rest.CreateAsync(Repository.Type, ns, new Repository
        {
            Metadata = new V1ObjectMeta { Name = VersNames.ToObjectName(name), NamespaceProperty = ns },
            Spec = new RepositorySpec { Name = name },
        }, Ct);

    /// <summary>A Tag as kubectl would make it: no owner reference; pointing at a new commit id unless one is given.</summary>
    public Task<Tag> CreateTagAsync(string ns, string repository, string tag, string? commitId = null) =>
        Rest.CreateAsync(Tag.Type, ns, new Tag
        {
            Metadata = new V1ObjectMeta { Name = VersNames.TagObjectName(repository, tag), NamespaceProperty = ns },
            Spec = new TagSpec { Repository = repository, Tag = tag, CommitId = commitId ?? Guid.NewGuid().ToString() },
        }, Ct);

    public Task<Commit> CreateCommitAsync(string ns, string commitId) =>
        Rest.CreateAsync(Commit.Type, ns, new Commit
        {
            Metadata = new V1ObjectMeta { Name = commitId, NamespaceProperty = ns },
            Spec = new CommitSpec { SnapshotName = commitId },
        }, Ct);

    public Task<Repository> UntilRepositoryAsync(string ns, string name, Func<Repository, bool> condition) =>
        Rest.UntilAsync(Repository.Type, ns, VersNames.ToObjectName(name), condition, TimeSpan.FromSeconds(10), Ct);

    public Task<T> UntilAsync<T>(ResourceType type, string ns, string name, Func<T, bool> condition)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        Rest.UntilAsync(type, ns, name, condition, TimeSpan.FromSeconds(10), Ct);

    /// <summary>The Events about the named object, once one matches <paramref name="wanted"/> (the recorder posts in the background).</summary>
    public async Task<List<Eventsv1Event>> UntilEventsAsync(string ns, string name, Func<Eventsv1Event, bool> wanted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var events = (await Rest.ListAsync<Eventsv1Event>(ResourceType.EventV1, ns, Ct)).Items
                .Where(e => e.Regarding?.Name == name).ToList();
            if (events.Any(wanted))
            {
                return events;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no matching event about {ns}/{name} after 10 s");
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Waits, by watching, until the named object does not exist.</summary>
    public Task UntilGoneAsync(ResourceType type, string ns, string name, int seconds = 10) =>
        Rest.UntilGoneAsync(type, ns, name, TimeSpan.FromSeconds(seconds), Ct);

    public async ValueTask DisposeAsync()
    {
        if (_operator is not null)
        {
            await _operator.DisposeAsync();
        }

        await _server.DisposeAsync();
    }
}
