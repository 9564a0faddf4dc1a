namespace Vers.LocalCluster.ApiServer.Tests.Storage;

/// <summary>The real kubectl against the storage kinds: apply, status patches and the server-side printed columns.</summary>
public sealed class KubectlStorageTests
{
    private const string Manifests = """
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata:
          name: standard
          annotations:
            storageclass.kubernetes.io/is-default-class: "true"
        provisioner: hostpath.csi.k8s.io
        ---
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata:
          name: fast
        provisioner: fast.csi.k8s.io
        reclaimPolicy: Retain
        volumeBindingMode: WaitForFirstConsumer
        allowVolumeExpansion: true
        ---
        apiVersion: v1
        kind: PersistentVolume
        metadata:
          name: pv-data
        spec:
          capacity:
            storage: 5Gi
          accessModes: [ReadWriteOnce, ReadOnlyMany]
          storageClassName: standard
          claimRef:
            namespace: default
            name: data
          csi:
            driver: hostpath.csi.k8s.io
            volumeHandle: vol-1
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: data
          namespace: default
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests:
              storage: 5Gi
          volumeName: pv-data
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: pending
          namespace: default
        spec:
          accessModes: [ReadWriteMany]
          storageClassName: fast
          resources:
            requests:
              storage: 1Gi
        """;

    [Fact]
    public async Task Get_pvc_pv_sc_prints_the_upstream_columns_with_abbreviated_access_modes_and_the_default_class()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkInAsync(Manifests, "apply", "-f", "-");
        await k.OkAsync("patch", "pv", "pv-data", "--subresource=status", "--type=merge", "-p", """{"status":{"phase":"Bound"}}""");
        await k.OkAsync("patch", "pvc", "data", "--subresource=status", "--type=merge", "-p",
            """{"status":{"phase":"Bound","accessModes":["ReadWriteOnce","ReadOnlyMany"],"capacity":{"storage":"5Gi"}}}""");

        var lines = (await k.OkAsync("get", "pvc,pv,sc")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Matches(@"^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$", lines[0]);
        Assert.Matches(@"^persistentvolumeclaim/data\s+Bound\s+pv-data\s+5Gi\s+RWO,ROX\s+standard\s+<unset>\s+\d+s$", lines[1]);
        Assert.Matches(@"^persistentvolumeclaim/pending\s+Pending\s+fast\s+<unset>\s+\d+s$", lines[2]);
        Assert.Matches(@"^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$", lines[3]);
        Assert.Matches(@"^persistentvolume/pv-data\s+5Gi\s+RWO,ROX\s+Retain\s+Bound\s+default/data\s+standard\s+<unset>\s+\d+s$", lines[4]);
        Assert.Matches(@"^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$", lines[5]);
        Assert.Matches(@"^storageclass\.storage\.k8s\.io/fast\s+fast\.csi\.k8s\.io\s+Retain\s+WaitForFirstConsumer\s+true\s+\d+s$", lines[6]);
        Assert.Matches(@"^storageclass\.storage\.k8s\.io/standard \(default\)\s+hostpath\.csi\.k8s\.io\s+Delete\s+Immediate\s+false\s+\d+s$", lines[7]);
        Assert.Equal(8, lines.Length);
    }

    [Fact]
    public async Task Get_pvc_wide_adds_the_volume_mode()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkInAsync(Manifests, "apply", "-f", "-");

        var lines = (await k.OkAsync("get", "pvc", "pending", "-o", "wide")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Matches(@"\s+AGE\s+VOLUMEMODE$", lines[0]);
        Assert.Matches(@"\s+Filesystem$", lines[1]);
    }

    [Fact]
    public async Task Applying_a_changed_class_name_to_a_claim_prints_the_immutability_error()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkInAsync(Manifests, "apply", "-f", "-");

        var stderr = await k.FailsAsync(Manifests.Replace("storageClassName: fast", "storageClassName: standard", StringComparison.Ordinal), "apply", "-f", "-");

        Assert.Contains("The PersistentVolumeClaim \"pending\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", stderr);
    }

    [Fact]
    public async Task Explain_describes_the_fields_of_the_storage_kinds()
    {
        await using var k = await KubectlHarness.StartAsync();

        Assert.Contains("accessModes contains the desired access modes the volume should have.", await k.OkAsync("explain", "pvc.spec.accessModes"));
        Assert.Contains("volumeHandle is the unique volume name", await k.OkAsync("explain", "pv.spec.csi"));
        Assert.Contains("provisioner indicates the type of the provisioner.", await k.OkAsync("explain", "sc.provisioner"));
    }

    [Fact]
    public async Task Delete_pvc_returns_once_the_claim_is_gone()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkInAsync(Manifests, "apply", "-f", "-");

        Assert.Contains("persistentvolumeclaim \"pending\" deleted", await k.OkAsync("delete", "pvc", "pending", "--timeout=10s"));

        Assert.Contains("NotFound", await k.FailsAsync(null, "get", "pvc", "pending"));
    }
}
