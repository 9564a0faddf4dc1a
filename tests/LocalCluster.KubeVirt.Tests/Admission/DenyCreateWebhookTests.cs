using System.Net;
using Vers.Kube.Client;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Admission;

/// <summary><c>--sim-fault deny-create=&lt;plural&gt;</c>: a validating webhook refusing creates of one resource, as a policy engine would (403 Forbidden).</summary>
public sealed class DenyCreateWebhookTests
{
    /// <summary>A simulator fault (no upstream counterpart), surfaced as kube-apiserver does a webhook's 403 (apiserver webhook/errors statuserror.go).</summary>
    [Fact]
    public async Task With_fault_deny_create_creating_that_resource_is_forbidden()
    {
        await using var h = await StartAsync();
        h.Options.Apply("deny-create=virtualmachinesnapshots");

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1")));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Forbidden", refused.Reason);
        Assert.Equal(
            "admission webhook \"deny-create.sim-fault.localcluster.vers.sh\" denied the request: creating virtualmachinesnapshots is denied by the simulated cluster's policy (--sim-fault deny-create=virtualmachinesnapshots)",
            refused.Status?.Message);
    }

    /// <summary>A simulator fault (no upstream counterpart): it matches one resource only.</summary>
    [Fact]
    public async Task With_fault_deny_create_other_resources_are_still_created()
    {
        await using var h = await StartAsync();
        h.Options.Apply("deny-create=virtualmachinesnapshots");

        var created = await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));

        Assert.Equal("clone", created.Metadata.Name);
    }

    /// <summary>A simulator fault (no upstream counterpart): switchable at run time.</summary>
    [Fact]
    public async Task A_deny_create_fault_switched_off_lets_creates_through_again()
    {
        await using var h = await StartAsync();
        h.Options.Apply("deny-create=virtualmachinesnapshots");
        h.Options.DenyCreate("virtualmachinesnapshots", deny: false);

        var created = await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));

        Assert.Equal("snap", created.Metadata.Name);
    }
}
