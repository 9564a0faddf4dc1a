using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.Api;

namespace Vers.Operator.Forks;

/// <summary>One reconcile pass over one fork: the copy being worked on and what the steps derive from it.</summary>
public sealed class ForkContext(RepositoryFork fork)
{
    public RepositoryFork Fork { get; set; } = fork;

    public RepositoryForkStatus Status => Fork.Status ??= new RepositoryForkStatus();

    public string Namespace => Fork.Metadata.NamespaceProperty;

    public string Uid => Fork.Metadata.Uid;

    public string VmId => Status.VmId ?? throw new InvalidOperationException("the fork's vmId is not recorded yet");

    public string CommitId => Status.CommitId ?? throw new InvalidOperationException("the fork's commitId is not recorded yet");

    public ForkSourceStatus Source => Status.Resolved ?? throw new InvalidOperationException("the fork's source is not resolved yet");

    public string SourceNamespace => Source.Namespace!;

    /// <summary>Same organisation: KubeVirt clones the VM; otherwise the operator copies its disks with CDI.</summary>
    public bool SameNamespace => Source.Namespace == Namespace;

    /// <summary>The source VirtualMachineSnapshotContent, once a step has read it in this pass (read at most once).</summary>
    public JsonObject? SourceContent { get; set; }

    /// <summary>Labels on everything the fork creates: they route its events back and prove it is the fork's own.</summary>
    public Dictionary<string, string> Labels() => new()
    {
        [VersGroup.ForkUidLabel] = Uid,
        [VersGroup.ManagedByLabel] = VersGroup.ManagedBy,
    };

    /// <summary>Whether <paramref name="obj"/> was created by this fork (it carries the fork's uid label).</summary>
    public bool Owns(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.ForkUidLabel, out var uid) && uid == Uid;

    /// <summary>"namespace/name", as messages name objects.</summary>
    public static string Describe(string kind, string? ns, string name) => ns is null ? $"{kind} {name}" : $"{kind} {ns}/{name}";
}
