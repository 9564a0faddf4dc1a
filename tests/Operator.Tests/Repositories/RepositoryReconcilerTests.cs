using k8s.Models;
using Vers.Api;
using Vers.Operator.Repositories;
using Vers.Kube.Status;
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
        await using var env = await OperatorEnv.StartAsync(OrgA, OrgB);
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
        await using var env = await OperatorEnv.StartAsync(OrgA, OrgB);
        await env.CreateRepositoryAsync(OrgA, "app");
        await env.CreateTagAsync(OrgA, "app", "v1");
        await env.StartOperatorAsync();
        await env.UntilRepositoryAsync(OrgA, "app", r => r.Status?.Tags == 1);

        await env.CreateTagAsync(OrgA, "app", "v2");
        await env.UntilRepositoryAsync(OrgA, "app", r => r.Status?.Tags == 2);
        await env.Rest.DeleteAsync(Tag.Type, OrgA, VersNames.TagObjectName("app", "v1"), Ct);

        await env.UntilRepositoryAsync(OrgA, "app", r => r.Status?.Tags == 1);
    }

    [Fact]
    public async Task A_repository_made_without_the_operator_gets_its_tags_finalizer()
    {
        await using var env = await OperatorEnv.StartAsync(OrgA, OrgB);
        await env.CreateRepositoryAsync(OrgA, "app");

        await env.StartOperatorAsync();

        await env.UntilRepositoryAsync(OrgA, "app", r => r.Metadata.Finalizers?.Contains(RepositoryReconciler.Finalizer) == true);
    }

    [Fact]
    public async Task Deleting_a_repository_deletes_the_tags_that_name_it_and_keeps_its_commits()
    {
        await using var env = await OperatorEnv.StartAsync(OrgA, OrgB);
        await env.CreateRepositoryAsync(OrgA, "app");
        var v1 = await env.CreateTagAsync(OrgA, "app", "v1");
        await env.CreateTagAsync(OrgA, "other", "v1");
        await env.CreateTagAsync(OrgB, "app", "v1");
        await env.CreateCommitAsync(OrgA, v1.Spec.CommitId);
        await env.StartOperatorAsync();
        await env.UntilRepositoryAsync(OrgA, "app", r => r.Metadata.Finalizers?.Contains(RepositoryReconciler.Finalizer) == true);

        await env.Rest.DeleteAsync(Repository.Type, OrgA, VersNames.ToObjectName("app"), Ct);

        await env.UntilGoneAsync(Repository.Type, OrgA, VersNames.ToObjectName("app"));
        await env.UntilGoneAsync(Tag.Type, OrgA, VersNames.TagObjectName("app", "v1"));
        Assert.NotNull(await env.Rest.TryGetAsync<Tag>(Tag.Type, OrgA, VersNames.TagObjectName("other", "v1"), Ct));
        Assert.NotNull(await env.Rest.TryGetAsync<Tag>(Tag.Type, OrgB, VersNames.TagObjectName("app", "v1"), Ct));
        Assert.NotNull(await env.Rest.TryGetAsync<Commit>(Commit.Type, OrgA, v1.Spec.CommitId, Ct));
    }
}
