using System.Net;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer;
using Vers.Kube.Client;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Admission;

/// <summary>cdi-apiserver's DataVolume webhooks (CDI v1.66 pkg/apiserver/webhooks): datavolume-mutate (clone authorisation, tokens) and datavolume-validate.</summary>
public sealed class CdiWebhooksTests
{
    private const string AliceToken = "alice-token";
    private const string CloneToken = "cdi.kubevirt.io/storage.clone.token";

    /// <summary>
    /// datavolume-mutate.go Admit → v1beta1 authorize_utils.go authorizeClone (SubjectAccessReviews for the requesting user: create datavolumes/source,
    /// else create pods and pvcs in the source namespace), refused through toRejectedAdmissionResponse: 422 with a leading space.
    /// </summary>
    [Fact]
    public async Task A_cross_namespace_snapshot_clone_by_a_user_without_clone_rights_in_the_source_namespace_is_refused_with_422()
    {
        await using var h = await StartAsync();
        h.Server.Access = Alice().Deny(new AccessRule("alice", "create", "cdi.kubevirt.io", "datavolumes/source", Ns));

        var refused = await Assert.ThrowsAsync<KubeApiException>(() =>
            h.CreateAsAsync(AliceToken, T.DataVolume, DataVolumeFromSnapshot("copy", OtherNs, Ns, "snap")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(
            "admission webhook \"datavolume-mutate.cdi.kubevirt.io\" denied the request:  User alice has insufficient permissions in clone source namespace org-a",
            refused.Status?.Message);
    }

    /// <summary>datavolume-mutate.go Admit: an authorised clone is stamped at create with the clone token (cdi.kubevirt.io/storage.clone.token).</summary>
    [Fact]
    public async Task A_cross_namespace_snapshot_clone_by_a_user_allowed_datavolumes_source_in_the_source_namespace_gets_a_clone_token()
    {
        await using var h = await StartAsync();
        h.Server.Access = Alice().Allow(new AccessRule("alice", "create", "cdi.kubevirt.io", "datavolumes/source", Ns));

        var created = await h.CreateAsAsync(AliceToken, T.DataVolume, DataVolumeFromSnapshot("copy", OtherNs, Ns, "snap"));

        Assert.Equal(3, created.Annotation(CloneToken)?.Split('.').Length);
    }

    /// <summary>authorize_utils.go authorizeClone: without datavolumes/source, create pods and create "pvcs" (the literal resource name) together authorise a snapshot clone.</summary>
    [Fact]
    public async Task A_cross_namespace_snapshot_clone_is_authorised_by_creating_pods_and_pvcs_in_the_source_namespace()
    {
        await using var h = await StartAsync();
        h.Server.Access = Alice()
            .Allow(new AccessRule("alice", "create", "", "pods", Ns))
            .Allow(new AccessRule("alice", "create", "", "pvcs", Ns));

        var created = await h.CreateAsAsync(AliceToken, T.DataVolume, DataVolumeFromSnapshot("copy", OtherNs, Ns, "snap"));

        Assert.NotNull(created.Annotation(CloneToken));
    }

    /// <summary>authorize_utils.go authorizeClone: persistentvolumeclaims is not what CDI asks about; pods with it do not authorise a snapshot clone.</summary>
    [Fact]
    public async Task Creating_pods_and_persistentvolumeclaims_does_not_authorise_a_cross_namespace_snapshot_clone()
    {
        await using var h = await StartAsync();
        h.Server.Access = Alice()
            .Allow(new AccessRule("alice", "create", "", "pods", Ns))
            .Allow(new AccessRule("alice", "create", "", "persistentvolumeclaims", Ns));

        var refused = await Assert.ThrowsAsync<KubeApiException>(() =>
            h.CreateAsAsync(AliceToken, T.DataVolume, DataVolumeFromSnapshot("copy", OtherNs, Ns, "snap")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
    }

    /// <summary>authorize_utils.go: a source in the DataVolume's own namespace needs no review; the token is still added.</summary>
    [Fact]
    public async Task A_same_namespace_snapshot_clone_needs_no_permission_and_gets_a_clone_token()
    {
        await using var h = await StartAsync();
        h.Server.Access = Alice();

        var created = await h.CreateAsAsync(AliceToken, T.DataVolume, DataVolumeFromSnapshot("copy", Ns, Ns, "snap"));

        Assert.NotNull(created.Annotation(CloneToken));
    }

    /// <summary>authorize_utils.go (proxy.GetNamespace) through toAdmissionResponseError: a source namespace that does not exist is 400.</summary>
    [Fact]
    public async Task A_snapshot_clone_from_a_namespace_that_does_not_exist_is_refused_with_400()
    {
        await using var h = await StartAsync();

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("copy", Ns, "nowhere", "snap")));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("admission webhook \"datavolume-mutate.cdi.kubevirt.io\" denied the request: namespaces \"nowhere\" not found", refused.Status?.Message);
    }

    /// <summary>datavolume-mutate.go Admit: a DataVolume that clones nothing is left as it is (no token).</summary>
    [Fact]
    public async Task An_import_gets_no_clone_token()
    {
        await using var h = await StartAsync();

        var created = await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns));

        Assert.Null(created.Annotation(CloneToken));
    }

    /// <summary>datavolume-validate.go validateDataVolumeSpec / validateStorageSize: each rule refuses with CDI's words, 422 and a leading space.</summary>
    [Theory]
    [InlineData("snapshot without namespace", "spec.source.Snapshot source snapshot is not valid")]
    [InlineData("pvc and storage", "Duplicate storage definition, both target storage and target pvc defined")]
    [InlineData("neither pvc nor storage", "Missing Data volume PVC")]
    [InlineData("no source", "Data volume should have either Source or SourceRef, or be externally populated")]
    [InlineData("import without size", "Storage size is missing")]
    [InlineData("zero size", "Storage size can't be equal or less than zero")]
    [InlineData("size below 1MiB", "Storage size should be at least 1MiB")]
    [InlineData("pvc without access modes", "Required value: at least 1 access mode is required")]
    public async Task An_invalid_data_volume_is_refused_by_datavolume_validate(string problem, string message)
    {
        await using var h = await StartAsync();
        var dv = BlankDataVolume("disk", Ns);
        var spec = dv["spec"]!.AsObject();
        switch (problem)
        {
            case "snapshot without namespace":
                // (Left out, the schema refuses it first: namespace is a required field of DataVolumeSourceSnapshot.)
                spec["source"] = JsonNode.Parse("""{ "snapshot": { "namespace": "", "name": "snap" } }""");
                break;
            case "pvc and storage":
                spec["pvc"] = JsonNode.Parse("""{ "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } } }""");
                break;
            case "neither pvc nor storage":
                spec.Remove("storage");
                break;
            case "no source":
                spec.Remove("source");
                break;
            case "import without size":
                spec["storage"] = new JsonObject();
                break;
            case "zero size":
                spec["storage"]!["resources"]!["requests"]!["storage"] = "0";
                break;
            case "size below 1MiB":
                spec["storage"]!["resources"]!["requests"]!["storage"] = "512Ki";
                break;
            case "pvc without access modes":
                spec.Remove("storage");
                spec["pvc"] = JsonNode.Parse("""{ "resources": { "requests": { "storage": "1Gi" } } }""");
                break;
        }

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.DataVolume, dv));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal($"admission webhook \"datavolume-validate.cdi.kubevirt.io\" denied the request:  {message}", refused.Status?.Message);
    }

    /// <summary>datavolume-validate.go Admit (UPDATE): the spec of a DataVolume cannot change.</summary>
    [Fact]
    public async Task A_data_volume_spec_cannot_be_updated()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns));

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.PatchAsync(T.DataVolume, Ns, "disk", JsonNode.Parse("""
            { "spec": { "storage": { "resources": { "requests": { "storage": "2Gi" } } } } }
            """)!.AsObject()));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("admission webhook \"datavolume-validate.cdi.kubevirt.io\" denied the request:  Cannot update DataVolume Spec", refused.Status?.Message);
    }

    /// <summary>
    /// Alice may create DataVolumes (in any namespace: her own is the target); whether she may clone from another
    /// namespace is for the rules each test adds. Her bearer token authenticates her.
    /// </summary>
    private static AccessPolicy Alice() => new AccessPolicy { AllowAll = false }.AddToken(AliceToken, new TokenUser("alice"))
        .Allow(new AccessRule(User: "alice", Verb: "create", Group: "cdi.kubevirt.io", Resource: "datavolumes"));
}
