using Vers.LocalCluster.KubeVirt;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>
/// SimulatorOptions: the all-in-one host's <c>--sim-fault</c> specs and <c>--sim-latency</c>, switchable at run time. These are the
/// simulator's own knobs (no upstream counterpart); what each fault does to the simulated components is pinned with those components.
/// </summary>
public sealed class SimulatorOptionsTests
{
    private const string Expected = "expected deny-create=<resource plural>, fail=<resource plural>, exclude-volumes or unschedulable=<duration, e.g. 5s>";

    [Fact]
    public void Deny_create_names_the_resource_whose_creates_are_refused()
    {
        var options = new SimulatorOptions().Apply("deny-create=virtualmachinesnapshots");

        Assert.True(options.DeniesCreate("virtualmachinesnapshots"));
        Assert.False(options.DeniesCreate("virtualmachineclones"));
    }

    [Theory]
    [InlineData("virtualmachinesnapshots", "VirtualMachineSnapshot")]
    [InlineData("virtualmachineclones", "VirtualMachineClone")]
    [InlineData("datavolumes", "DataVolume")]
    [InlineData("volumesnapshots", "VolumeSnapshot")]
    public void Fail_names_by_plural_the_kind_whose_every_new_object_fails(string plural, string kind)
    {
        var options = new SimulatorOptions().Apply($"fail={plural}");

        Assert.True(options.TakeFailure(kind));
        Assert.True(options.TakeFailure(kind));
        Assert.False(options.TakeFailure(kind == "DataVolume" ? "VolumeSnapshot" : "DataVolume"));
    }

    [Fact]
    public void Exclude_volumes_leaves_every_volume_out_of_snapshots()
    {
        var options = new SimulatorOptions().Apply("exclude-volumes");

        Assert.True(options.ExcludeVolumes);
    }

    [Theory]
    [InlineData("unschedulable=5s", 5_000)]
    [InlineData("unschedulable=1m30s", 90_000)]
    [InlineData("unschedulable=250ms", 250)]
    public void Unschedulable_takes_a_go_duration(string spec, int milliseconds)
    {
        var options = new SimulatorOptions().Apply(spec);

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), options.Unschedulable);
    }

    [Fact]
    public void Fail_of_a_resource_without_a_failure_to_play_is_refused_with_the_resources_that_have_one()
    {
        var refused = Assert.Throws<ArgumentException>(() => new SimulatorOptions().Apply("fail=virtualmachines"));

        Assert.Equal("--sim-fault fail=virtualmachines: fail= takes one of virtualmachinesnapshots, virtualmachineclones, datavolumes, volumesnapshots", refused.Message);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("deny-create=")]
    [InlineData("deny-create")]
    [InlineData("exclude-volumes=yes")]
    [InlineData("unschedulable=soon")]
    [InlineData("unschedulable=")]
    [InlineData("")]
    public void A_spec_that_is_not_one_of_the_four_forms_is_refused_naming_them(string spec)
    {
        var refused = Assert.Throws<ArgumentException>(() => new SimulatorOptions().Apply(spec));

        Assert.Equal($"--sim-fault {spec}: {Expected}", refused.Message);
    }

    [Fact]
    public void Fail_next_fails_only_as_many_new_objects_as_it_was_called()
    {
        var options = new SimulatorOptions().FailNext("DataVolume").FailNext("DataVolume");

        Assert.Equal([true, true, false], [options.TakeFailure("DataVolume"), options.TakeFailure("DataVolume"), options.TakeFailure("DataVolume")]);
    }

    [Fact]
    public void A_kind_delay_overrides_the_latency_of_every_other_kind()
    {
        var options = new SimulatorOptions { Latency = TimeSpan.FromSeconds(2) }.SetDelay("DataVolume", TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(30), options.DelayFor("DataVolume"));
        Assert.Equal(TimeSpan.FromSeconds(2), options.DelayFor("VirtualMachineSnapshot"));
    }

    [Fact]
    public void Fail_next_in_a_namespace_is_taken_only_by_an_object_of_that_namespace()
    {
        var options = new SimulatorOptions().FailNext("DataVolume", "org-a");

        Assert.False(options.TakeFailure("DataVolume", "org-b"));
        Assert.True(options.TakeFailure("DataVolume", "org-a"));
        Assert.False(options.TakeFailure("DataVolume", "org-a"));
    }
}
