using k8s.Models;
using Vers.Kube.Finalizers;
using Vers.Testing;

namespace Vers.Kube.Tests.Finalizers;

/// <summary>A stale copy (an informer's that trails a write) still gets its finalizer added or removed, after a fresh read.</summary>
public sealed class FinalizerClientTests
{
    private const string Ours = "vers.sh/repository-tags";
    private const string Theirs = "example.com/keep";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Adding_from_a_stale_copy_reads_the_object_again_and_keeps_what_changed()
    {
        await using var api = await ApiServer.StartAsync();
        var stale = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", ApiServer.ConfigMap("a"), Ct);
        await api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", new { metadata = new { finalizers = new[] { Theirs } } }, Ct);

        var patched = await api.Rest.AddFinalizerAsync(ApiServer.ConfigMaps, stale, Ours, Ct);

        Assert.Equal([Theirs, Ours], patched.Metadata.Finalizers);
    }

    [Fact]
    public async Task Removing_from_a_stale_copy_reads_the_object_again_and_removes_only_ours()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = ApiServer.ConfigMap("a");
        cm.Metadata.Finalizers = [Ours];
        var stale = await api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", cm, Ct);
        await api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", new { metadata = new { finalizers = new[] { Theirs, Ours } } }, Ct);

        var patched = await api.Rest.RemoveFinalizerAsync(ApiServer.ConfigMaps, stale, Ours, Ct);

        Assert.Equal([Theirs], patched!.Metadata.Finalizers);
    }
}
