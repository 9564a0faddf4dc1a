using System.Net;
using k8s.Models;
using Vers.Kube.Client;
using Vers.Kube.Finalizers;
using Vers.Testing;

namespace Vers.Kube.Tests.Finalizers;

public sealed class FinalizerPatchTests
{
    private const string Ours = "vers.sh/fork-rollback";
    private const string Theirs = "example.com/keep";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Adding_a_finalizer_that_is_already_there_needs_no_patch()
    {
        var meta = new V1ObjectMeta { ResourceVersion = "5", Finalizers = [Ours] };

        Assert.Null(FinalizerPatch.Add(meta, Ours));
    }

    [Fact]
    public void Removing_a_finalizer_that_is_not_there_needs_no_patch()
    {
        var meta = new V1ObjectMeta { ResourceVersion = "5", Finalizers = [Theirs] };

        Assert.Null(FinalizerPatch.Remove(meta, Ours));
    }

    [Fact]
    public async Task Adding_keeps_the_finalizers_of_others_and_appends_ours()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = ApiServer.ConfigMap("a");
        cm.Metadata.Finalizers = [Theirs];
        cm = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", cm, Ct);

        var patched = await api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", FinalizerPatch.Add(cm.Metadata, Ours)!, Ct, PatchKind.Json);

        Assert.Equal([Theirs, Ours], patched.Metadata.Finalizers);
    }

    [Fact]
    public async Task Removing_takes_out_only_our_entry_wherever_it_stands()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = ApiServer.ConfigMap("a");
        cm.Metadata.Finalizers = [Ours, Theirs];
        cm = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", cm, Ct);

        var patched = await api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", FinalizerPatch.Remove(cm.Metadata, Ours)!, Ct, PatchKind.Json);

        Assert.Equal([Theirs], patched.Metadata.Finalizers);
    }

    [Fact]
    public async Task Removing_is_not_refused_for_a_change_elsewhere_in_the_object()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = ApiServer.ConfigMap("a");
        cm.Metadata.Finalizers = [Ours];
        var read = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", cm, Ct);
        await api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", new { metadata = new { labels = new Dictionary<string, string> { ["x"] = "y" } } }, Ct);

        var patched = await api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", FinalizerPatch.Remove(read.Metadata, Ours)!, Ct, PatchKind.Json);

        Assert.True(patched.Metadata.Finalizers is null or { Count: 0 });
        Assert.Equal("y", patched.Metadata.Labels["x"]);
    }

    [Fact]
    public async Task A_patch_built_from_a_stale_read_is_refused_and_changes_nothing()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = ApiServer.ConfigMap("a");
        cm.Metadata.Finalizers = [Ours];
        var stale = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", cm, Ct);
        var fresh = await api.Rest.PatchAsync<V1ConfigMap>(
            ApiServer.ConfigMaps, "default", "a", FinalizerPatch.Add(stale.Metadata, Theirs)!, Ct, PatchKind.Json);

        var refused = await Assert.ThrowsAsync<KubeApiException>(() =>
            api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", FinalizerPatch.Remove(stale.Metadata, Ours)!, Ct, PatchKind.Json));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var now = await api.Rest.GetAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", Ct);
        Assert.Equal(fresh.Metadata.Finalizers, now.Metadata.Finalizers);
    }
}
