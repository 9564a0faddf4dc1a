using k8s;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.Hosting;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Reliability.Tests.Support;
using Vers.Testing;

namespace Vers.Reliability.Tests;

/// <summary>
/// Cross-organisation forks clone disks out of the source organisation's namespace. CDI lets whoever creates the
/// DataVolume do that only with <c>create datavolumes/source</c> there (cdi-apiserver datavolume-mutate.go, v1beta1
/// authorize_utils.go), and the operator holds that right only in organisation namespaces — so which repositories
/// may be forked stays the operator's decision, and a missing right fails a fork at once instead of hanging it.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class CloneSourceTests : IAsyncLifetime
{
    private const string OperatorUser = "system:serviceaccount:vers-system:vers-operator";
    private TestStack _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await ReliabilityHost.StartAsync(o => o with { RunOperator = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_operator_without_the_right_to_clone_from_the_source_namespace_fails_the_fork_at_once_with_CDIs_words()
    {
        var org = await _host.EnsureOrgAsync("no-clone-right");
        var baseline = (await _host.Inventory.OfAsync(org, TestStack.Ct)).Names;
        _host.KubeApi.Access.AddToken("operator-token", new TokenUser(OperatorUser, Groups: ["system:serviceaccounts", "system:serviceaccounts:vers-system"]));
        // As without the chart's clone-source RoleBinding there: the operator may do its work (the host authorizes with
        // RBAC, which binds nothing to this user, so a rule grants it), but create nothing in the source namespace
        // (neither datavolumes/source nor CDI's fallback pair, pods and "pvcs"): deny rules come first.
        _host.KubeApi.Access.Allow(new AccessRule(User: OperatorUser));
        _host.KubeApi.Access.Deny(new AccessRule(User: OperatorUser, Verb: "create", Namespace: TestStack.SourceOrg));
        await using var op = _host.NewOperator("operator-without-clone-right", OperatorClient("operator-token"));
        await op.StartAsync(TestStack.Ct);

        await _host.CreateForkAsync(org, "fork", TestStack.SourceOrg, "node");
        var fork = await _host.FinishedAsync(org, "fork");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.Rejected, fork.Status.Error!.Reason);
        Assert.Contains("admission webhook \"datavolume-mutate.cdi.kubevirt.io\" denied the request:  User " + OperatorUser +
            " has insufficient permissions in clone source namespace vers", fork.Status.Error.Message, StringComparison.Ordinal);
        var audit = ForkAudit.Check(await _host.Inventory.OfAsync(org, TestStack.Ct), baseline, [fork]);
        Assert.True(audit.Clean, audit.ToString());
    }

    [Fact]
    public async Task A_RepositoryFork_made_with_kubectl_cannot_copy_another_orgs_private_repository_whatever_the_operator_may_clone()
    {
        var owner = await _host.EnsureOrgAsync("clone-owner");
        await _host.PublishAsync(owner, "secret", Visibility.Private);
        var other = await _host.EnsureOrgAsync("clone-other");
        await using var op = _host.NewOperator("operator-allowed-everywhere");
        await op.StartAsync(TestStack.Ct);

        await _host.CreateForkAsync(other, "steal", owner, "secret");
        var fork = await _host.FinishedAsync(other, "steal");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.SourceNotFound, fork.Status.Error!.Reason);
        Assert.Equal(ForkReasons.SourceNotFoundMessage(owner, "secret", "latest"), fork.Status.Error.Message);
        Assert.Empty(await _host.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, other));
        Assert.Empty(await _host.ListAsync<Repository>(Repository.Type, other));
    }

    private IKubernetes OperatorClient(string token)
    {
        var config = _host.KubeApi.CreateClientConfiguration();
        config.UserAgent = UserAgents.Operator;
        config.AccessToken = token;
        return new Kubernetes(config);
    }
}
