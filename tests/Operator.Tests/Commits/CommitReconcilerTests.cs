using Vers.Operator.Commits;
using Vers.Api;
using Vers.Operator.Tests.Support;

namespace Vers.Operator.Tests.Commits;

/// <summary>A Commit is kept while Tags point at it, like a claim a pod still uses; an untagged one goes at once.</summary>
public sealed class CommitReconcilerTests
{
    private const string Org = "org-a";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(OperatorEnv Env, string CommitId)> TaggedCommitAsync()
    {
        var env = await OperatorEnv.StartAsync(Org);
        var commitId = Guid.NewGuid().ToString();
        await env.CreateCommitAsync(Org, commitId);
        await env.CreateRepositoryAsync(Org, "app");
        await env.CreateTagAsync(Org, "app", "v1", commitId);
        await env.StartOperatorAsync();
        await env.UntilAsync<Commit>(Commit.Type, Org, commitId, c => c.Metadata.Finalizers?.Contains(CommitReconciler.Finalizer) == true);
        return (env, commitId);
    }

    [Fact]
    public async Task An_untagged_commit_is_deleted_at_once()
    {
        await using var env = await OperatorEnv.StartAsync(Org);
        var commitId = Guid.NewGuid().ToString();
        await env.CreateCommitAsync(Org, commitId);
        await env.StartOperatorAsync();
        await env.UntilAsync<Commit>(Commit.Type, Org, commitId, c => c.Metadata.Finalizers?.Contains(CommitReconciler.Finalizer) == true);

        await env.Rest.DeleteAsync(Commit.Type, Org, commitId, Ct);

        await env.UntilGoneAsync(Commit.Type, Org, commitId);
    }

    [Fact]
    public async Task A_tagged_commit_is_kept_with_a_warning_until_its_tag_is_deleted()
    {
        var (env, commitId) = await TaggedCommitAsync();
        await using var _ = env;

        await env.Rest.DeleteAsync(Commit.Type, Org, commitId, Ct);

        var events = await env.UntilEventsAsync(Org, commitId, e => e.Reason == "CommitInUse");
        Assert.Contains("app:v1", Assert.Single(events, e => e.Reason == "CommitInUse").Note);
        Assert.NotNull((await env.Rest.GetAsync<Commit>(Commit.Type, Org, commitId, Ct)).Metadata.DeletionTimestamp);

        await env.Rest.DeleteAsync(Tag.Type, Org, VersNames.TagObjectName("app", "v1"), Ct);

        await env.UntilGoneAsync(Commit.Type, Org, commitId);
    }

    [Fact]
    public async Task A_tagged_commit_is_released_when_its_tag_moves_to_another_commit()
    {
        var (env, commitId) = await TaggedCommitAsync();
        await using var _ = env;
        await env.Rest.DeleteAsync(Commit.Type, Org, commitId, Ct);
        await env.UntilEventsAsync(Org, commitId, e => e.Reason == "CommitInUse");

        await env.Rest.PatchAsync<Tag>(Tag.Type, Org, VersNames.TagObjectName("app", "v1"), new { spec = new { commitId = Guid.NewGuid().ToString() } }, Ct);

        await env.UntilGoneAsync(Commit.Type, Org, commitId);
    }

    [Fact]
    public async Task Deleting_the_repository_releases_the_commits_its_tags_held()
    {
        var (env, commitId) = await TaggedCommitAsync();
        await using var _ = env;
        await env.Rest.DeleteAsync(Commit.Type, Org, commitId, Ct);
        await env.UntilEventsAsync(Org, commitId, e => e.Reason == "CommitInUse");

        await env.Rest.DeleteAsync(Repository.Type, Org, VersNames.ToObjectName("app"), Ct);

        await env.UntilGoneAsync(Commit.Type, Org, commitId);
    }
}
