using System.Security.Cryptography;
using System.Text;

namespace Vers.LocalCluster.Seeding;

/// <summary>RFC 4122 version-5 (name-based, SHA-1) UUIDs, so seeding the same data twice gives the same ids.</summary>
public static class DeterministicGuid
{
    private static readonly Guid Namespace = new("6f1d1c2a-3b7e-5f4a-9c0d-7a2b8e4f1c35");

    public static string Create(string name)
    {
        var ns = Namespace.ToByteArray(bigEndian: true);
        var hash = SHA1.HashData([.. ns, .. Encoding.UTF8.GetBytes(name)]);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }
}
