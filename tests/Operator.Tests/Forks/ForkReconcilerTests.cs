using k8s.Models;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Testing;

namespace Vers.Operator.Tests.Forks;

public sealed class ForkReconcilerTests(SharedForkHost shared) : IClassFixture<SharedForkHost>
{
    private TestStack SharedHost => shared.Host;

    [Fact]
    public async Task A_fork_created_without_a_finalizer_succeeds_and_ends_without_one()
    {
        var host = SharedHost;
        await host.CreateForkAsync("dev", "fork-1");

        var fork = await host.FinishedAsync("dev", "fork-1");

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Reason} {fork.Status.Error?.Message}");
        Assert.True(fork.Metadata.Finalizers is null or { Count: 0 }, string.Join(",", fork.Metadata.Finalizers ?? []));
        Assert.Equal("node:latest", fork.Status.Reference);
        Assert.Equal("vers/node:latest", fork.Status.Source);
        Assert.True(Guid.TryParse(fork.Status.CommitId, out _));
        Assert.NotNull(fork.Status.CompletionTime);
        Assert.Equal(fork.Metadata.Generation, fork.Status.ObservedGeneration);
        var ready = Assert.Single(fork.Status.Conditions!, c => c.Type == "Ready");
        Assert.Equal("True", ready.Status);
        Assert.Equal(fork.Metadata.Generation, ready.ObservedGeneration);
    }

    [Fact]
    public async Task A_finished_fork_records_its_Repository_Tag_Commit_and_running_VM()
    {
        var host = SharedHost;
        await host.CreateForkAsync("dev", "records", repoName: "Node_Records");
        var fork = await host.FinishedAsync("dev", "records");
        Assert.Equal(ForkPhase.Succeeded, fork.Status!.Phase);
        var status = fork.Status;

        var repository = await host.Rest.GetAsync<Repository>(Repository.Type, "dev", VersNames.ToObjectName("Node_Records"), TestStack.Ct);
        Assert.Equal("Node_Records", repository.Spec.Name);
        Assert.Equal("vers", repository.Spec.ForkedFrom!.Org);
        Assert.Equal(status.Resolved!.CommitId, repository.Spec.ForkedFrom.CommitId);
        Assert.Equal("True", repository.Status!.Conditions!.Single(c => c.Type == "Ready").Status);

        var tag = await host.Rest.GetAsync<Tag>(Tag.Type, "dev", VersNames.TagObjectName("Node_Records", "latest"), TestStack.Ct);
        Assert.Equal(status.CommitId, tag.Spec.CommitId);
        Assert.Equal("Node_Records:latest", tag.Status!.Reference);
        Assert.Equal(repository.Metadata.Uid, tag.Metadata.OwnerReferences!.Single().Uid);

        var commit = await host.Rest.GetAsync<Commit>(Commit.Type, "dev", status.CommitId!, TestStack.Ct);
        Assert.True(commit.Status!.ReadyToUse);
        Assert.Equal(status.Resolved.CommitId, commit.Spec.ParentCommit!.CommitId);
        Assert.Equal(status.VmId, commit.Spec.SourceVm);

        var snapshot = (await host.TryGetAsync(KubeVirtTypes.VirtualMachineSnapshot, "dev", status.CommitId!))!;
        Assert.True(snapshot.Status?["readyToUse"]?.GetValue<bool>());
        Assert.Equal(commit.Metadata.Uid, snapshot.Metadata.OwnerReferences!.Single().Uid);

        var vm = (await host.TryGetAsync(KubeVirtTypes.VirtualMachine, "dev", status.VmId!))!;
        Assert.Equal("Always", (string?)vm.Spec!["runStrategy"]);
        Assert.Null(vm.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task A_fork_within_the_same_organisation_clones_the_VM()
    {
        var host = SharedHost;
        await host.CreateForkAsync("vers", "copy", repoName: "node-copy");

        var fork = await host.FinishedAsync("vers", "copy");

        Assert.True(fork.Status!.Phase == ForkPhase.Succeeded, $"{fork.Status.Phase}: {fork.Status.Error?.Message}");
        Assert.Equal("VirtualMachineClone", fork.Status.Resolved!.Method);
        Assert.Equal("node-copy:latest", fork.Status.Reference);
        var vm = (await host.TryGetAsync(KubeVirtTypes.VirtualMachine, "vers", fork.Status.VmId!))!;
        Assert.Equal("Always", (string?)vm.Spec!["runStrategy"]);
    }

    [Fact]
    public async Task An_invalid_name_in_the_spec_is_refused_by_the_CRD_schema_and_nothing_is_created()
    {
        var host = SharedHost;

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => host.CreateForkAsync("dev", "bad", repoName: "a/b"));

        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("Invalid", refused.Reason);
        Assert.Contains(refused.Status!.Details.Causes, c => c.Field == "spec.repoName");
        Assert.Null(await host.TryGetAsync(RepositoryFork.Type, "dev", "bad"));
    }

    [Fact]
    public async Task A_fork_in_a_namespace_that_is_no_organisation_fails_with_Invalid()
    {
        var host = SharedHost;
        await host.Rest.CreateAsync(ResourceType.Namespace, null, new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "plain" } }, TestStack.Ct);
        await host.CreateForkAsync("plain", "f");

        var fork = await host.FinishedAsync("plain", "f");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.Invalid, fork.Status.Error!.Reason);
        Assert.Contains(VersGroup.OrgLabel, fork.Status.Error.Message, StringComparison.Ordinal);
        Assert.Null(fork.Status.VmId);
        Assert.Empty(await host.ListAsync<Repository>(Repository.Type, "plain"));
    }

    [Fact]
    public async Task A_missing_source_fails_with_SourceNotFound()
    {
        var host = SharedHost;
        await host.CreateForkAsync("dev", "missing", sourceRepo: "nope");

        var fork = await host.FinishedAsync("dev", "missing");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.SourceNotFound, fork.Status.Error!.Reason);
        Assert.Null(fork.Status.VmId);
    }

    [Fact]
    public async Task TargetExists_leaves_the_existing_repository_untouched_and_records_no_vmId()
    {
        var host = SharedHost;
        var existing = await host.Rest.CreateAsync(Repository.Type, "dev", new Repository
        {
            Metadata = new V1ObjectMeta { Name = "taken", NamespaceProperty = "dev" },
            Spec = new RepositorySpec { Name = "taken", Visibility = Visibility.Private, Description = "mine" },
        }, TestStack.Ct);
        await host.CreateForkAsync("dev", "exists", repoName: "taken");

        var fork = await host.FinishedAsync("dev", "exists");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.TargetExists, fork.Status.Error!.Reason);
        Assert.Null(fork.Status.VmId);
        Assert.Null(fork.Status.CommitId);
        var after = await host.Rest.GetAsync<Repository>(Repository.Type, "dev", "taken", TestStack.Ct);
        // Its status may be kept current by the repository controller; what the fork must not touch is the rest.
        Assert.Equal(existing.Metadata.Generation, after.Metadata.Generation);
        Assert.Equal(existing.Metadata.Uid, after.Metadata.Uid);
        Assert.Equal("mine", after.Spec.Description);
        Assert.Null(after.Spec.ForkedFrom);
        Assert.False(after.Metadata.Annotations?.ContainsKey(VersGroup.ClaimedByAnnotation) == true);
        Assert.False(after.Metadata.Labels?.ContainsKey(VersGroup.ForkUidLabel) == true);
        Assert.Empty(await host.ListAsync<GenericObject>(KubeVirtTypes.VirtualMachine, "dev", $"{VersGroup.ForkUidLabel}={fork.Metadata.Uid}"));
        Assert.Empty(await host.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, "dev", $"{VersGroup.ForkUidLabel}={fork.Metadata.Uid}"));
    }

    /// <summary>
    /// A VM whose cloud-init comes from a Secret of its own namespace cannot move into another organisation: copying the
    /// Secret would leak it, and without it the VM would not start. The fork is refused before it creates anything.
    /// </summary>
    [Fact]
    public async Task A_VM_needing_a_Secret_of_its_namespace_is_refused_across_orgs_before_anything_is_created()
    {
        var host = SharedHost;
        var publisher = new LocalCluster.Seeding.RepositoryPublisher(host.Client);
        await publisher.PublishAsync(ForkHost.SourceOrg, ForkHost.SourceOrg, "with-secret", "latest", Visibility.Public, TestStack.Ct, customizeVm: spec =>
        {
            var template = spec["template"]!["spec"]!;
            template["domain"]!["devices"]!["disks"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject { ["name"] = "cloudinit", ["disk"] = new System.Text.Json.Nodes.JsonObject() });
            template["volumes"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = "cloudinit",
                ["cloudInitNoCloud"] = new System.Text.Json.Nodes.JsonObject { ["secretRef"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "node-userdata" } },
            });
        });
        var before = (await host.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, "dev")).Count;
        await host.CreateForkAsync("dev", "needs-secret", repoName: "with-secret", sourceRepo: "with-secret");

        var fork = await host.FinishedAsync("dev", "needs-secret");

        Assert.Equal(ForkPhase.Failed, fork.Status!.Phase);
        Assert.Equal(ForkReasons.UnsupportedSource, fork.Status.Error!.Reason);
        Assert.Contains("Secret node-userdata (volume cloudinit, cloudInitNoCloud.secretRef)", fork.Status.Error.Message, StringComparison.Ordinal);
        Assert.Null(fork.Status.VmId);
        Assert.Null(await host.TryGetAsync(Repository.Type, "dev", "with-secret"));
        Assert.Equal(before, (await host.ListAsync<GenericObject>(KubeVirtTypes.DataVolume, "dev")).Count);
    }
}
