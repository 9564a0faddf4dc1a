using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.Entities;
using Vers.Operator.Entities.Crds;
using Vers.Operator.Hosting;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;
using Vers.Operator.Runtime.Status;
using Vers.Operator.Tests.Support;

namespace Vers.Operator.Tests.Repositories;

/// <summary>A Repository's status counts the Tags that name it: in its namespace, not being deleted.</summary>
public sealed class RepositoryReconcilerTests
{
    private const string OrgA = "org-a";
    private const string OrgB = "org-b";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_repository_counts_only_the_tags_that_name_it_in_its_namespace()
    {
        await using var env = await Env.StartAsync();
        await env.CreateRepositoryAsync(OrgA, "app");
        await env.CreateTagAsync(OrgA, "app", "v1");
        await env.CreateTagAsync(OrgA, "app", "v2");
        await env.CreateTagAsync(OrgA, "other", "v1");
        await env.CreateTagAsync(OrgB, "app", "v1");

        await env.StartOperatorAsync();
        var ready = await env.UntilRepositoryAsync(OrgA, "app", r => Conditions.Find(r.Status?.Conditions, "Ready") is not null);

        Assert.Equal(2, ready.Status!.Tags);
    }

    [Fact]
    public async Task A_new_tag_raises_the_count_and_a_deleted_one_lowers_it()
    {
        await using var env = await Env.StartAsync();
        await env.CreateRepositoryAsync(OrgA, "app");
        await env.CreateTagAsync(OrgA, "app", "v1");
        await env.StartOperatorAsync();
        await env.UntilRepositoryAsync(OrgA, "app", r => r.Status?.Tags == 1);

        await env.CreateTagAsync(OrgA, "app", "v2");
        await env.UntilRepositoryAsync(OrgA, "app", r => r.Status?.Tags == 2);
        await env.Rest.DeleteAsync(Tag.Type, OrgA, VersNames.TagObjectName("app", "v1"), Ct);

        await env.UntilRepositoryAsync(OrgA, "app", r => r.Status?.Tags == 1);
    }

    private sealed class Env : IAsyncDisposable
    {
        private readonly ApiServer _server;
        private VersOperator? _operator;

        private Env(ApiServer server) => _server = server;

        public KubeRestClient Rest => _server.Rest;

        public static async Task<Env> StartAsync()
        {
            var server = await ApiServer.StartAsync();
            await new CrdInstaller(server.Client, NullLogger.Instance).InstallAsync(
                CrdGenerator.All().Concat(KubeVirtCrds.All), TimeSpan.FromSeconds(30), Ct);
            foreach (var ns in new[] { OrgA, OrgB })
            {
                await server.Rest.CreateAsync(ResourceType.Namespace, null, new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, Ct);
            }

            return new Env(server);
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

        public Task<Tag> CreateTagAsync(string ns, string repository, string tag) =>
            Rest.CreateAsync(Tag.Type, ns, new Tag
            {
                Metadata = new V1ObjectMeta { Name = VersNames.TagObjectName(repository, tag), NamespaceProperty = ns },
                Spec = new TagSpec { Repository = repository, Tag = tag, CommitId = Guid.NewGuid().ToString() },
            }, Ct);

        public Task<Repository> UntilRepositoryAsync(string ns, string name, Func<Repository, bool> condition) =>
            Rest.UntilAsync(Repository.Type, ns, VersNames.ToObjectName(name), condition, TimeSpan.FromSeconds(10), Ct);

        public async ValueTask DisposeAsync()
        {
            if (_operator is not null)
            {
                await _operator.DisposeAsync();
            }

            await _server.DisposeAsync();
        }
    }
}
