using System.Reflection;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>
/// The assemblies reference only those below them (docs/architecture.md#assemblies): the controller runtime and the
/// embedded API server know no Vers assembly, the API types only the runtime, and nothing references the host.
/// </summary>
public sealed class AssemblyLayoutTests
{
    [Theory]
    [InlineData("Vers.Kube", "")]
    [InlineData("Vers.LocalCluster.ApiServer", "")]
    [InlineData("Vers.Api", "Vers.Kube")]
    [InlineData("Vers.Operator", "Vers.Api Vers.Kube")]
    [InlineData("Vers.ApiShim", "Vers.Api Vers.Kube Vers.Operator")]
    [InlineData("Vers.LocalCluster.KubeVirt", "Vers.Api Vers.Kube Vers.LocalCluster.ApiServer")]
    public void An_assembly_references_only_the_Vers_assemblies_below_it(string assembly, string allowed)
    {
        var references = Assembly.Load(assembly).GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Vers.", StringComparison.Ordinal));

        Assert.Subset(allowed.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal), references.ToHashSet(StringComparer.Ordinal));
    }
}
