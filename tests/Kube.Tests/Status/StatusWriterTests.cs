using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.Api;
using Vers.Api.Crds;
using Vers.Kube.Client;
using Vers.Kube.Status;
using Vers.Testing;

namespace Vers.Kube.Tests.Status;

public sealed class StatusWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(ApiServer Api, Repository Repository)> RepositoryAsync()
    {
        var api = await ApiServer.StartAsync();
        await new CrdInstaller(api.Client, NullLogger.Instance).InstallAsync(CrdGenerator.All(), TimeSpan.FromSeconds(10), Ct);
        var repository = await api.Rest.CreateAsync(Repository.Type, "default", new Repository
        {
            Metadata = new V1ObjectMeta { Name = "r", NamespaceProperty = "default" },
            Spec = new RepositorySpec { Name = "r" },
        }, Ct);
        return (api, repository);
    }

    [Fact]
    public async Task The_status_is_written_through_the_status_subresource()
    {
        var (api, repository) = await RepositoryAsync();
        await using var _ = api;

        var written = await api.Rest.UpdateAsync(Repository.Type, repository, r => (r.Status = new RepositoryStatus { Tags = 3 }) is not null, Ct);

        Assert.Equal(3, written.Status!.Tags);
        Assert.Equal(repository.Metadata.Generation, written.Metadata.Generation);
    }

    [Fact]
    public async Task On_a_conflict_it_rereads_and_computes_the_status_again_from_the_newer_object()
    {
        var (api, stale) = await RepositoryAsync();
        await using var _ = api;
        await api.Rest.PatchAsync<Repository>(Repository.Type, "default", "r", new { status = new { tags = 5 } }, Ct, subresource: "status");
        var calls = 0;

        var written = await api.Rest.UpdateAsync(Repository.Type, stale, r =>
        {
            calls++;
            r.Status ??= new RepositoryStatus();
            r.Status.Tags = (r.Status.Tags ?? 0) + 1;
            return true;
        }, Ct);

        Assert.Equal(2, calls);
        Assert.Equal(6, written.Status!.Tags);
    }

    [Fact]
    public async Task Nothing_is_written_when_the_status_needs_no_change()
    {
        var (api, repository) = await RepositoryAsync();
        await using var _ = api;

        var result = await api.Rest.UpdateAsync(Repository.Type, repository, _ => false, Ct);

        var now = await api.Rest.GetAsync<Repository>(Repository.Type, "default", "r", Ct);
        Assert.Same(repository, result);
        Assert.Equal(repository.Metadata.ResourceVersion, now.Metadata.ResourceVersion);
    }
}
