using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Tests.Resources;

/// <summary>The storage bucket key of a served resource.</summary>
public sealed class ResourceTypeTests
{
    private static ResourceType Widgets() => new()
    {
        Group = "example.com",
        Plural = "widgets",
        Singular = "widget",
        Kind = "Widget",
        ListKind = "WidgetList",
        Namespaced = true,
        Versions = [new ResourceVersion("v1", Served: true, Storage: true, HasStatus: true, Schema: null, PrinterColumns: [])],
    };

    [Fact]
    public void The_storage_key_is_group_and_plural_and_stays_the_same_string_on_every_read()
    {
        var widgets = Widgets();

        Assert.Equal("example.com/widgets", widgets.StorageKey);
        Assert.Same(widgets.StorageKey, widgets.StorageKey);
    }

    [Fact]
    public void A_copy_with_another_plural_has_its_own_storage_key()
    {
        var widgets = Widgets();
        _ = widgets.StorageKey;

        var gadgets = widgets with { Plural = "gadgets" };

        Assert.Equal("example.com/gadgets", gadgets.StorageKey);
        Assert.Equal("example.com/widgets", widgets.StorageKey);
    }

    [Fact]
    public void Reading_the_storage_key_does_not_change_equality()
    {
        var read = Widgets();
        _ = read.StorageKey;
        var unread = Widgets();

        // Versions is a list compared by reference: share it so only the memo could tell the two apart.
        Assert.Equal(read with { Versions = unread.Versions }, unread);
    }

    [Fact]
    public void A_cross_served_bucket_belongs_to_the_resource_listed_first()
    {
        var registry = new ResourceRegistry();

        Assert.Equal(BuiltinKind.CoreEvent, registry.FindByStorageKey(registry.Builtins.Single(t => t.Builtin == BuiltinKind.EventsV1Event).StorageKey)!.Builtin);
        Assert.Equal(BuiltinKind.ConfigMap, registry.FindByStorageKey("/configmaps")!.Builtin);
    }
}
