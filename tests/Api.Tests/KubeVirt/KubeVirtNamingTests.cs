using Vers.Api.KubeVirt;

namespace Vers.Api.Tests.KubeVirt;

/// <summary>
/// The names KubeVirt gives restored volumes under volumeNamePolicy PrefixTargetName: restore.go restoreVolumeName,
/// through openshift library-go naming.GetName(target, volume, 63) — the expectations are the upstream function's output.
/// </summary>
public sealed class KubeVirtNamingTests
{
    [Fact]
    public void A_short_name_is_target_dash_volume()
    {
        Assert.Equal("my-vm-disk1", KubeVirtNaming.PrefixTargetName("my-vm", "disk1"));
    }

    [Fact]
    public void A_fork_vm_id_and_its_root_disk_fit_as_they_are()
    {
        Assert.Equal("9f1c2a4e-8b0d-4c51-a3f6-2e7d9c0b1a55-rootdisk", KubeVirtNaming.PrefixTargetName("9f1c2a4e-8b0d-4c51-a3f6-2e7d9c0b1a55", "rootdisk"));
    }

    [Fact]
    public void A_long_name_keeps_the_volume_and_hashes_the_target()
    {
        var name = KubeVirtNaming.PrefixTargetName("very-long-virtual-machine-name-that-exceeds-limits", "very-long-volume-name-disk");

        Assert.True(name.Length <= 63, name);
        Assert.Matches("^very-long-virtual-machine-n-[0-9a-f]{8}-very-long-volume-name-disk$", name);
        Assert.Equal(name, KubeVirtNaming.PrefixTargetName("very-long-virtual-machine-name-that-exceeds-limits", "very-long-volume-name-disk"));
    }

    [Fact]
    public void A_volume_name_too_long_for_a_suffix_gives_a_hashed_name_of_63()
    {
        var volume = new string('v', 60);

        var name = KubeVirtNaming.PrefixTargetName("target", volume);

        Assert.True(name.Length <= 63);
        Assert.Matches("^target-[0-9a-f]{8}$", name);
    }

    /// <summary>The hash is FNV-1a 32 of the base, in eight hex digits (FNV-1a("abcdefghijklmnop") = 0x068bb1f5).</summary>
    [Fact]
    public void The_hash_is_fnv1a_32_of_the_base_in_eight_hex_digits()
    {
        Assert.Equal("abc-068bb1f5-x", KubeVirtNaming.GetName("abcdefghijklmnop", "x", 14));
    }
}
