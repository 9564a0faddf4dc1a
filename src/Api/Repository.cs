using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using k8s.Models;
using Vers.Api.Crds;
using Vers.Kube;

namespace Vers.Api;

public enum Visibility
{
    Private,
    Public,
}

[KubernetesEntity(Group = VersGroup.Group, ApiVersion = VersGroup.Version, Kind = "Repository", PluralName = "repositories")]
[ShortNames("vrepo")]
[Categories(VersGroup.Category)]
[Description("A Vers repository: a named set of tags in an organisation (namespace). Public repositories can be forked by other organisations.")]
[PrinterColumn("Repository", ".spec.name")]
[PrinterColumn("Visibility", ".spec.visibility")]
[PrinterColumn("Tags", ".status.tags", "integer")]
[PrinterColumn("Ready", ".status.conditions[?(@.type==\"Ready\")].status")]
[PrinterColumn("Forked-From", ".status.forkedFrom", Priority = 1)]
[PrinterColumn("Age", ".metadata.creationTimestamp", "date")]
public sealed class Repository() : VersObject<RepositorySpec, RepositoryStatus>("Repository")
{
    public static readonly ResourceType Type = ResourceType.For<Repository>();
}

[Description("The desired repository: its Vers name, visibility and origin.")]
public sealed class RepositorySpec
{
    [Required]
    [RegularExpression(VersNames.Pattern)]
    [Description("The Vers repository name (1-64 letters, digits, '-', '_', '.'); the object name is derived from it.")]
    public string Name { get; set; } = "";

    [DefaultValue("Private")]
    [Description("Private repositories are visible to their organisation only; Public ones can be listed and forked by any organisation.")]
    public Visibility? Visibility { get; set; }

    [Description("Free text shown to people browsing repositories.")]
    [StringLength(1024)]
    public string? Description { get; set; }

    [Description("Where this repository was forked from, when it was created by a fork.")]
    public ForkOrigin? ForkedFrom { get; set; }
}

public sealed class ForkOrigin
{
    [Required]
    [Description("Organisation of the source repository.")]
    public string Org { get; set; } = "";

    [Required]
    [Description("Name of the source repository.")]
    public string Repository { get; set; } = "";

    [Required]
    [Description("The source tag that was forked.")]
    public string Tag { get; set; } = "";

    [Required]
    [Description("The source commit the tag pointed at when it was forked.")]
    public string CommitId { get; set; } = "";
}

[Description("The observed state of the repository.")]
public sealed class RepositoryStatus
{
    [Description("The generation of the spec this status describes.")]
    public long? ObservedGeneration { get; set; }

    [Description("Number of tags in the repository.")]
    public int? Tags { get; set; }

    [Description("org/repository:tag this repository was forked from, for display.")]
    public string? ForkedFrom { get; set; }

    [ListMap("type")]
    [Description("Standard conditions; Ready is True once the repository is usable.")]
    public IList<V1Condition>? Conditions { get; set; }
}
