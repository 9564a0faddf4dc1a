using System.Globalization;
using System.Text;

namespace Vers.Api.KubeVirt;

/// <summary>Names KubeVirt derives for the objects it makes on the operator's behalf.</summary>
public static class KubeVirtNaming
{
    /// <summary>DNS-1035 label length, the limit KubeVirt applies to restored volume names.</summary>
    public const int VolumeNameMaxLength = 63;

    /// <summary>
    /// The restored PVC/DataVolume name under <c>volumeNamePolicy: PrefixTargetName</c>: KubeVirt's
    /// <c>restoreVolumeName</c> (pkg/storage/snapshot/restore.go) calls openshift library-go's
    /// <c>naming.GetName(target, volume, 63)</c>, ported here byte for byte (FNV-1a hash when too long).
    /// </summary>
    public static string PrefixTargetName(string targetVm, string volumeName) => GetName(targetVm, volumeName, VolumeNameMaxLength);

    /// <summary>github.com/openshift/library-go/pkg/build/naming GetName.</summary>
    public static string GetName(string @base, string suffix, int maxLength)
    {
        if (maxLength <= 0)
        {
            return "";
        }

        var name = $"{@base}-{suffix}";
        if (name.Length <= maxLength)
        {
            return name;
        }

        var baseLength = maxLength - 10 - suffix.Length;
        if (baseLength <= 0)
        {
            var prefix = @base[..Math.Min(@base.Length, Math.Max(0, maxLength - 9))];
            var shortName = $"{prefix}-{Fnv32a(name)}";
            return shortName[..Math.Min(maxLength, shortName.Length)];
        }

        return $"{@base[..baseLength]}-{Fnv32a(@base)}-{suffix}";
    }

    private static string Fnv32a(string s)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            hash ^= b;
            hash *= 16777619u;
        }

        return hash.ToString("x8", CultureInfo.InvariantCulture);
    }
}
