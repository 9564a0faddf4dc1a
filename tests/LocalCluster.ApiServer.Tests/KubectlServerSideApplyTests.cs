namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>The real kubectl's server-side apply against the embedded server: conflicts, --force-conflicts, managed fields.</summary>
public sealed class KubectlServerSideApplyTests
{
    private static string Widget(int size, string color = "red") => $"""
        apiVersion: example.com/v1
        kind: Widget
        metadata:
          name: w1
          namespace: default
        spec:
          size: {size}
          color: {color}
        """;

    private static async Task<KubectlHarness> StartWithCrdAsync()
    {
        var k = await KubectlHarness.StartAsync();
        await k.Cluster.CreateWidgetCrdAsync();
        return k;
    }

    [Fact]
    public async Task Apply_server_side_twice_then_another_field_manager_changing_a_field_prints_the_conflict()
    {
        await using var k = await StartWithCrdAsync();
        Assert.Contains("serverside-applied", await k.OkInAsync(Widget(3), "apply", "--server-side", "-f", "-"));
        Assert.Contains("serverside-applied", await k.OkInAsync(Widget(3), "apply", "--server-side", "-f", "-"));

        var stderr = await k.FailsAsync(Widget(4), "apply", "--server-side", "--field-manager=other", "-f", "-");

        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.size", stderr);
        Assert.Contains("--force-conflicts", stderr);
        Assert.Contains("size: 3", await k.OkAsync("get", "widget", "w1", "-o", "yaml"));
    }

    [Fact]
    public async Task Force_conflicts_takes_the_field_and_show_managed_fields_lists_both_managers()
    {
        await using var k = await StartWithCrdAsync();
        await k.OkInAsync(Widget(3), "apply", "--server-side", "-f", "-");

        Assert.Contains("serverside-applied", await k.OkInAsync(Widget(4), "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"));

        var yaml = await k.OkAsync("get", "widget", "w1", "-o", "yaml", "--show-managed-fields");
        Assert.Contains("size: 4", yaml);
        Assert.Contains("managedFields:", yaml);
        Assert.Contains("manager: kubectl\n", yaml);
        Assert.Contains("manager: other\n", yaml);
        Assert.Contains("operation: Apply", yaml);
        Assert.Contains("fieldsType: FieldsV1", yaml);
        Assert.DoesNotContain("managedFields:", await k.OkAsync("get", "widget", "w1", "-o", "yaml"));
    }

    [Fact]
    public async Task A_client_side_applied_object_moves_to_server_side_apply_without_conflicts()
    {
        await using var k = await StartWithCrdAsync();
        await k.OkInAsync(Widget(3), "apply", "-f", "-");
        Assert.Contains("configured", await k.OkInAsync(Widget(4), "apply", "-f", "-"));

        Assert.Contains("serverside-applied", await k.OkInAsync(Widget(5, "blue"), "apply", "--server-side", "-f", "-"));

        var yaml = await k.OkAsync("get", "widget", "w1", "-o", "yaml", "--show-managed-fields");
        Assert.Contains("size: 5", yaml);
        Assert.Contains("color: blue", yaml);
        Assert.Contains("manager: kubectl\n", yaml);

        // Back to client-side apply: the annotation followed the server-side apply, so this is a plain change.
        Assert.Contains("configured", await k.OkInAsync(Widget(6, "blue"), "apply", "-f", "-"));
        Assert.Contains("size: 6", await k.OkAsync("get", "widget", "w1", "-o", "yaml"));
    }
}
