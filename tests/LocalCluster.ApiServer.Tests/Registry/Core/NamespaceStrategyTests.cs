using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Core;

/// <summary>ValidateNamespace, ValidateNamespaceFinalizeUpdate and ValidateNamespaceStatusUpdate.</summary>
public sealed class NamespaceStrategyTests
{
    [Fact]
    public async Task A_namespace_with_an_unknown_field_warns_and_drops_it()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(Namespaces, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"},"data":{}}""");

        Assert.Equal(["299 - \"unknown field \\\"data\\\"\""], r.Warnings);
    }

    [Fact]
    public async Task A_finalize_with_a_name_that_is_neither_standard_nor_qualified_is_422()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(Namespaces, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}""");

        var r = await api.Raw.PutAsync(Namespaces + "/n/finalize", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"},"spec":{"finalizers":["kubernetes","mine"]}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Code);
        Assert.Equal("Namespace \"n\" is invalid: spec.finalizers[1]: Invalid value: \"mine\": name is neither a standard finalizer name nor is it fully qualified", r.Str("message"));
    }

    [Fact]
    public async Task A_live_namespace_status_phase_may_only_be_active()
    {
        await using var api = await StartAsync();
        await api.CreatedAsync(Namespaces, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}""");

        var r = await api.Raw.PatchAsync(Namespaces + "/n/status", """{"status":{"phase":"Terminating"}}""");

        Assert.Equal("Namespace \"n\" is invalid: status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty", r.Str("message"));
    }
}
