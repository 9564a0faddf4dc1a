using System.Text;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Tests.Storage;

/// <summary>Cold JSON is packed with a dictionary per bucket and unpacks to the same bytes, from any thread.</summary>
public sealed class JsonPackerTests
{
    [Fact]
    public void Objects_unpack_to_the_bytes_they_were_packed_from_before_and_after_the_bucket_has_a_dictionary()
    {
        var packer = new JsonPacker();
        var objects = Enumerable.Range(0, JsonPacker.Samples * 2).Select(VolumeClaim).ToList();

        var packed = objects.Select(o => packer.Pack("/persistentvolumeclaims", o)).ToList();

        for (var i = 0; i < objects.Count; i++)
        {
            Assert.Equal(objects[i], packed[i].Unpack());
        }
    }

    [Fact]
    public void A_trained_dictionary_packs_objects_of_its_bucket_to_a_fraction_of_their_size()
    {
        var packer = new JsonPacker();
        for (var i = 0; i < JsonPacker.Samples; i++)
        {
            packer.Pack("/persistentvolumeclaims", VolumeClaim(i));
        }

        var json = VolumeClaim(10_000);
        var packed = packer.Pack("/persistentvolumeclaims", json);

        Assert.True(packed.PackedLength * 5 < json.Length, $"{json.Length} bytes packed to {packed.PackedLength}");
    }

    [Fact]
    public void Buckets_have_their_own_dictionaries()
    {
        var packer = new JsonPacker();
        for (var i = 0; i < JsonPacker.Samples; i++)
        {
            packer.Pack("/persistentvolumeclaims", VolumeClaim(i));
        }

        var other = Encoding.UTF8.GetBytes("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"team"},"data":{"a":"1"}}""");
        var packed = packer.Pack("/configmaps", other);

        Assert.Equal(other, packed.Unpack());
    }

    [Fact]
    public async Task Many_threads_unpack_the_same_objects_at_once()
    {
        var packer = new JsonPacker();
        var objects = Enumerable.Range(0, JsonPacker.Samples + 50).Select(VolumeClaim).ToList();
        var packed = objects.Select(o => packer.Pack("/persistentvolumeclaims", o)).ToList();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var round = 0; round < 20; round++)
            {
                for (var i = 0; i < objects.Count; i++)
                {
                    Assert.Equal(objects[i], packed[i].Unpack());
                }
            }
        }, TestContext.Current.CancellationToken)));
    }

    [Fact]
    public void A_packed_stored_object_keeps_its_JSON_and_takes_a_new_resourceVersion()
    {
        var stored = StoredObject.From(JsonNode.Parse(VolumeClaim(1))!.AsObject());
        var json = stored.Json;

        stored.Pack(new JsonPacker(), "/persistentvolumeclaims");

        Assert.True(stored.Packed);
        Assert.Equal(json, stored.Json);
        var next = stored.WithResourceVersion(99);
        Assert.Equal("99", next.ToJsonObject()["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("claim-1", next.Name);
    }

    /// <summary>A PersistentVolumeClaim as the store writes it, managedFields included; <paramref name="i"/> varies names, uids and times.</summary>
    internal static byte[] VolumeClaim(int i) => Encoding.UTF8.GetBytes("""
        {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"claim-#I","namespace":"org-#O","uid":"#G","resourceVersion":"#R","creationTimestamp":"2026-12-07T06:#M:#SZ","labels":{"vers.sh/repository":"repo-#I","app.kubernetes.io/managed-by":"cdi-controller"},"annotations":{"cdi.kubevirt.io/storage.contentType":"kubevirt","cdi.kubevirt.io/storage.pod.phase":"Succeeded","pv.kubernetes.io/bind-completed":"yes"},"ownerReferences":[{"apiVersion":"cdi.kubevirt.io/v1beta1","kind":"DataVolume","name":"dv-#I","uid":"#G","controller":true,"blockOwnerDeletion":true}],"finalizers":["kubernetes.io/pvc-protection"],"managedFields":[{"manager":"cdi-controller","operation":"Update","apiVersion":"v1","time":"2026-12-07T06:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:cdi.kubevirt.io/storage.contentType":{},"f:cdi.kubevirt.io/storage.pod.phase":{}},"f:labels":{".":{},"f:app.kubernetes.io/managed-by":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"x\"}":{}}},"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:storageClassName":{},"f:volumeMode":{}}}}]},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"#ZGi"}},"storageClassName":"local","volumeMode":"Filesystem","volumeName":"pvc-#G"},"status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"#ZGi"}}}
        """.Trim()
        .Replace("#G", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("#I", $"{i}", StringComparison.Ordinal).Replace("#O", $"{i % 7}", StringComparison.Ordinal).Replace("#M", $"{i % 60:00}", StringComparison.Ordinal)
        .Replace("#S", $"{i % 59:00}", StringComparison.Ordinal).Replace("#R", $"{1000 + i}", StringComparison.Ordinal).Replace("#Z", $"{i % 10 + 1}", StringComparison.Ordinal));
}
