using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.Kube;

namespace Vers.Kube.Tests;

public sealed class GenericObjectTests
{
    private const string Json = """
        {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",
         "metadata":{"name":"vm","namespace":"dev","labels":{"a":"b"},"resourceVersion":"7"},
         "spec":{"runStrategy":"Always","memory":{"guest":"2Gi"},"cores":2,"ratio":0.5,"big":12345678901234567890,"on":true,"off":false,"none":null,
                 "disks":[{"name":"root"},[],{}],"quote":"a \"b\" \\ c","unicode":"é ☃ \u00e9","escaped\"name":1},
         "status":{"ready":true},
         "data":"plain"}
        """;

    private static GenericObject Decode(string json) => KubeJson.Deserialize<GenericObject>(System.Text.Encoding.UTF8.GetBytes(json));

    private static void AssertSameJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\nactual   {actual}");

    [Fact]
    public void Decoding_splits_apiVersion_kind_and_metadata_from_the_other_fields()
    {
        var obj = Decode(Json);

        Assert.Equal("kubevirt.io/v1", obj.ApiVersion);
        Assert.Equal("VirtualMachine", obj.Kind);
        Assert.Equal("vm", obj.Metadata.Name);
        Assert.Equal("b", obj.Metadata.Labels["a"]);
        Assert.Equal(["spec", "status", "data"], obj.Fields.Select(f => f.Key));
        Assert.Equal("Always", (string?)obj.Spec!["runStrategy"]);
        Assert.True((bool)obj.Status!["ready"]!);
    }

    [Fact]
    public void A_peek_reads_the_fields_without_keeping_a_tree_on_the_object()
    {
        var obj = Decode(Json);

        Assert.Equal("Always", (string?)obj.Peek()["spec"]!["runStrategy"]);
        Assert.NotNull(obj.UnreadFields);
    }

    [Fact]
    public void A_cached_object_read_keeps_no_tree_on_it()
    {
        var obj = Decode(Json);
        obj.MarkShared();

        Assert.Equal("Always", (string?)obj.Spec!["runStrategy"]);
        Assert.NotNull(obj.UnreadFields);
    }

    [Fact]
    public void Setting_fields_on_a_cached_object_throws()
    {
        var obj = Decode(Json);
        obj.MarkShared();

        Assert.Throws<InvalidOperationException>(() => obj.Status = new JsonObject { ["ready"] = false });
    }

    [Fact]
    public void A_copy_of_a_cached_object_can_be_changed()
    {
        var obj = Decode(Json);
        obj.MarkShared();
        var copy = obj.DeepCopy();

        copy.Status = new JsonObject { ["ready"] = false };

        Assert.False((bool)copy.Status!["ready"]!);
        Assert.True((bool)obj.Status!["ready"]!);
    }

    [Fact]
    public void A_peek_after_a_read_sees_the_fields_as_changed()
    {
        var obj = Decode(Json);
        obj.Spec!["runStrategy"] = "Halted";

        Assert.Equal("Halted", (string?)obj.Peek()["spec"]!["runStrategy"]);
    }

    [Fact]
    public void An_object_written_back_without_being_read_is_the_JSON_it_came_from()
    {
        var obj = Decode(Json);

        AssertSameJson(Json, KubernetesJson.Serialize(obj));
    }

    [Fact]
    public void An_object_written_back_after_being_read_is_the_JSON_it_came_from()
    {
        var obj = Decode(Json);
        _ = obj.Spec;

        AssertSameJson(Json, KubernetesJson.Serialize(obj));
    }

    [Fact]
    public void Strings_keep_their_escapes_and_non_ASCII_characters()
    {
        var spec = Decode(Json).Spec!;

        Assert.Equal("a \"b\" \\ c", (string?)spec["quote"]);
        Assert.Equal("é ☃ é", (string?)spec["unicode"]);
        Assert.Equal(1, (int)spec["escaped\"name"]!);
        Assert.Equal("12345678901234567890", spec["big"]!.ToJsonString());
    }

    [Fact]
    public void Changes_to_the_fields_are_written()
    {
        var obj = Decode(Json);

        obj.Spec!["runStrategy"] = "Halted";
        obj.Status = null;

        var written = JsonNode.Parse(KubernetesJson.Serialize(obj))!;
        Assert.Equal("Halted", (string?)written["spec"]!["runStrategy"]);
        Assert.Null(written["status"]);
    }

    [Fact]
    public void An_object_with_only_metadata_has_no_fields()
    {
        var obj = Decode("""{"apiVersion":"v1","kind":"Thing","metadata":{"name":"x"}}""");

        Assert.Empty(obj.Fields);
        AssertSameJson("""{"apiVersion":"v1","kind":"Thing","metadata":{"name":"x"}}""", KubernetesJson.Serialize(obj));
    }

    [Fact]
    public void A_created_object_gets_fields_set_on_it()
    {
        var obj = GenericObject.Create(new ResourceType("test.vers.sh", "v1", "things", "Thing"), "dev", "x");
        obj.Spec = new JsonObject { ["size"] = 1 };

        AssertSameJson(
            """{"apiVersion":"test.vers.sh/v1","kind":"Thing","metadata":{"name":"x","namespace":"dev"},"spec":{"size":1}}""",
            KubernetesJson.Serialize(obj));
    }

    [Fact]
    public void A_deep_copy_is_independent_of_the_original_read_or_not()
    {
        var original = Decode(Json);
        var unread = KubeJson.DeepCopy(original);
        _ = original.Spec;
        var read = KubeJson.DeepCopy(original);

        unread.Spec!["runStrategy"] = "Halted";
        read.Spec!["runStrategy"] = "Manual";
        read.Metadata.Labels["a"] = "changed";

        Assert.Equal("Always", (string?)original.Spec!["runStrategy"]);
        Assert.Equal("b", original.Metadata.Labels["a"]);
        AssertSameJson(Json, KubernetesJson.Serialize(original));
        Assert.Equal("Halted", (string?)unread.Spec!["runStrategy"]);
        Assert.Equal("Manual", (string?)read.Spec!["runStrategy"]);
    }

    [Fact]
    public void Concurrent_first_reads_of_a_shared_object_see_one_and_the_same_fields()
    {
        for (var round = 0; round < 50; round++)
        {
            var obj = Decode(Json);
            var seen = new JsonObject[4];
            Parallel.For(0, seen.Length, i => seen[i] = obj.Fields);

            Assert.All(seen, f => Assert.Same(seen[0], f));
        }
    }

    [Fact]
    public void A_list_of_generic_objects_decodes_each_item()
    {
        var list = KubeJson.Deserialize<KubernetesList<GenericObject>>(System.Text.Encoding.UTF8.GetBytes($$"""{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"9"},"items":[{{Json}},{{Json}}]}"""));

        Assert.Equal(2, list.Items.Count);
        Assert.All(list.Items, item => Assert.Equal("Always", (string?)item.Spec!["runStrategy"]));
    }

    [Fact]
    public void Something_else_than_an_object_is_rejected()
    {
        Assert.Throws<JsonException>(() => Decode("""[1,2]"""));
    }
}
