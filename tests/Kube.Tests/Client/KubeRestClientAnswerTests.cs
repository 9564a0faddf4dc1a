using k8s.Models;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.Kube.Tests.Client;

/// <summary>How a client reads the objects that gets and writes answer with.</summary>
public sealed class KubeRestClientAnswerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task By_default_answers_keep_the_managedFields_the_server_wrote()
    {
        await using var server = await ApiServer.StartAsync();

        var created = await server.Rest.CreateAsync(ApiServer.ConfigMaps, "default", ApiServer.ConfigMap("kept"), Ct, "tester");

        Assert.Equal("tester", Assert.Single(created.Metadata.ManagedFields).Manager);
    }

    [Fact]
    public async Task A_client_reading_answers_without_managedFields_gets_every_other_field_of_creates_patches_and_gets()
    {
        await using var server = await ApiServer.StartAsync();
        var client = new KubeRestClient(server.Client, KubeJson.ReadWithoutManagedFields);

        var created = await client.CreateAsync(ApiServer.ConfigMaps, "default", ApiServer.ConfigMap("lean", value: "1"), Ct, "tester");
        var patched = await client.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "lean", new { data = new { value = "2" } }, Ct);
        var read = await client.GetAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "lean", Ct);

        Assert.All([created, patched, read], cm => Assert.Null(cm.Metadata.ManagedFields));
        Assert.Equal("1", created.Data["value"]);
        Assert.Equal(("2", patched.Metadata.ResourceVersion, patched.Metadata.Uid), (read.Data["value"], read.Metadata.ResourceVersion, created.Metadata.Uid));
    }
}
