using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Vers.Kube;

namespace Vers.Kube.Tests;

[Collection(SharedStringsTests.Table)]
public sealed class KubeJsonTests
{
    private static readonly byte[] ConfigMap = Encoding.UTF8.GetBytes("""
        {"apiVersion":"v1","kind":"ConfigMap",
         "metadata":{"name":"a","namespace":"dev","labels":{"l":"1"},"resourceVersion":"3","creationTimestamp":"2024-01-02T03:04:05Z",
                     "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1","time":"2024-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:k":{}}}}]},
         "data":{"k":"v"}}
        """);

    [Fact]
    public void Options_are_KubernetesClients_own()
    {
        var cm = JsonSerializer.Deserialize<V1ConfigMap>(ConfigMap, KubeJson.Options)!;

        Assert.Equal(KubernetesJson.Serialize(cm), JsonSerializer.Serialize(cm, KubeJson.Options));
        Assert.Equal("kubectl", Assert.Single(cm.Metadata.ManagedFields).Manager);
    }

    [Fact]
    public void Objects_read_for_a_cache_share_their_recurring_strings()
    {
        var first = JsonSerializer.Deserialize<V1ConfigMap>(ConfigMap, KubeJson.ReadWithoutManagedFields)!;
        var second = JsonSerializer.Deserialize<V1ConfigMap>(ConfigMap, KubeJson.ReadWithoutManagedFields)!;

        Assert.Same(first.Metadata.NamespaceProperty, second.Metadata.NamespaceProperty);
        Assert.Same(first.Metadata.Labels.Keys.Single(), second.Metadata.Labels.Keys.Single());
        Assert.Same(first.Data["k"], second.Data["k"]);
        Assert.Equal("dev", second.Metadata.NamespaceProperty);
    }

    [Fact]
    public void Cached_strings_with_escapes_or_non_ASCII_characters_read_exactly()
    {
        var json = Encoding.UTF8.GetBytes("""{"metadata":{"name":"a","labels":{"k":"caf\u00e9","é":"☃"}}}""");

        var map = JsonSerializer.Deserialize<V1ConfigMap>(json, KubeJson.ReadWithoutManagedFields)!;

        Assert.Equal("café", map.Metadata.Labels["k"]);
        Assert.Equal("☃", map.Metadata.Labels["é"]);
    }

    [Fact]
    public void Reading_without_managedFields_keeps_all_the_rest_of_the_object()
    {
        var cm = JsonSerializer.Deserialize<V1ConfigMap>(ConfigMap, KubeJson.ReadWithoutManagedFields)!;

        Assert.Null(cm.Metadata.ManagedFields);
        Assert.Equal("a", cm.Metadata.Name);
        Assert.Equal("1", cm.Metadata.Labels["l"]);
        Assert.Equal("3", cm.Metadata.ResourceVersion);
        Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), cm.Metadata.CreationTimestamp);
        Assert.Equal("v", cm.Data["k"]);
    }

    [Fact]
    public void Reading_a_generic_object_without_managedFields_keeps_its_fields()
    {
        var obj = JsonSerializer.Deserialize<GenericObject>(ConfigMap, KubeJson.ReadWithoutManagedFields)!;

        Assert.Null(obj.Metadata.ManagedFields);
        Assert.Equal("v", (string?)obj.Fields["data"]!["k"]);
    }

    [Fact]
    public void A_deep_copy_equals_the_original_and_shares_nothing_with_it()
    {
        var original = KubeJson.Deserialize<V1ConfigMap>(ConfigMap);

        var copy = KubeJson.DeepCopy(original);
        copy.Metadata.Labels["l"] = "2";
        copy.Data["k"] = "changed";

        Assert.Equal("1", original.Metadata.Labels["l"]);
        Assert.Equal("v", original.Data["k"]);
        copy.Metadata.Labels["l"] = "1";
        copy.Data["k"] = "v";
        Assert.Equal(KubernetesJson.Serialize(original), KubernetesJson.Serialize(copy));
    }
}
