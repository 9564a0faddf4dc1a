using Vers.Operator.Forks.Steps;

namespace Vers.Operator.Tests.Forks.Steps;

public sealed class CopyVmStepTests
{
    [Theory]
    [InlineData("rootdisk", "1b4e28ba-2fa1-11d2-883f-0016d3cca427-rootdisk")]
    [InlineData("Data_Disk", null)]
    [InlineData("a-very-long-volume-name-that-does-not-fit-in-a-label-anymore", null)]
    public void DataVolume_names_are_vm_id_and_volume_or_a_hash_and_always_DNS_labels(string volume, string? expected)
    {
        var name = CopyVmStep.DataVolumeName("1b4e28ba-2fa1-11d2-883f-0016d3cca427", volume);

        if (expected is not null)
        {
            Assert.Equal(expected, name);
        }

        Assert.True(name.Length <= 63, name);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
        Assert.NotEqual(name, CopyVmStep.DataVolumeName("1b4e28ba-2fa1-11d2-883f-0016d3cca427", volume + "2"));
    }
}
