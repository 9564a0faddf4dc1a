using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.LocalCluster.Seeding;
using Vers.Operator.Forks;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

/// <summary>
/// The fork tests' <see cref="TestStack"/>: no demo data, only org "vers" publishing public node:latest and org "dev".
/// Forks are created as RepositoryFork objects, the way kubectl would.
/// </summary>
internal static class ForkHost
{
    public const string SourceOrg = TestStack.SourceOrg;
    public const string OtherOrg = "dev";

    /// <param name="runOperator">Off for tests that run their own operator instance (e.g. on a client of <see cref="TestStack.OperatorClient"/>).</param>
    public static async Task<TestStack> StartAsync(ForkOptions? forks = null, bool runOperator = true)
    {
        var stack = await TestStack.StartAsync(
            new TestStackOptions { Configure = o => o with { Seed = false, Forks = forks ?? new ForkOptions(), RunOperator = runOperator } }, TestStack.Ct);
        try
        {
            var publisher = new RepositoryPublisher(stack.Client);
            await publisher.EnsureOrgAsync(SourceOrg, TestStack.Ct);
            await publisher.EnsureOrgAsync(OtherOrg, TestStack.Ct);
            await publisher.PublishAsync(SourceOrg, SourceOrg, "node", "latest", Visibility.Public, TestStack.Ct);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything a fork may have created, for asserting it is all gone after a rollback.</summary>
    public static async Task AssertRolledBackAsync(this TestStack host, RepositoryFork fork, string repoName)
    {
        var ns = fork.Metadata.NamespaceProperty;
        var status = fork.Status!;
        Assert.NotNull(status.VmId);
        Assert.NotNull(status.CommitId);
        await host.UntilGoneAsync(KubeVirtTypes.VirtualMachine, ns, status.VmId);
        await host.UntilGoneAsync(KubeVirtTypes.VirtualMachineClone, ns, status.VmId);
        await host.UntilGoneAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, status.CommitId);
        await host.UntilGoneAsync(Commit.Type, ns, status.CommitId);
        await host.UntilGoneAsync(Repository.Type, ns, VersNames.ToObjectName(repoName));
        foreach (var dv in await host.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, ns, $"{VersGroup.ForkUidLabel}={fork.Metadata.Uid}"))
        {
            await host.UntilGoneAsync(KubeVirtTypes.DataVolume, ns, dv.Metadata.Name);
        }

        Assert.Empty(await host.ListAsync<Tag>(Tag.Type, ns, $"{VersGroup.ForkUidLabel}={fork.Metadata.Uid}"));
    }
}

/// <summary>One <see cref="ForkHost"/> shared by the tests of a class that need no failure injection; each test uses its own names.</summary>
public sealed class SharedForkHost : SharedStack
{
    protected override Task<TestStack> StartAsync() => ForkHost.StartAsync();
}
