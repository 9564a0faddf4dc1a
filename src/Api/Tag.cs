using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using k8s.Models;
using Vers.Api.Crds;
using Vers.Kube;

namespace Vers.Api;

[KubernetesEntity(Group = VersGroup.Group, ApiVersion = VersGroup.Version, Kind = "Tag", PluralName = "tags")]
[ShortNames("vtag")]
[Categories(VersGroup.Category)]
[Description("A Vers tag: a named, movable pointer from a repository to a commit. Owned by its Repository.")]
[NoStatusSubresource] // status.reference derives from spec alone: written in the create, not by a second request.
[PrinterColumn("Repository", ".spec.repository")]
[PrinterColumn("Tag", ".spec.tag")]
[PrinterColumn("Commit", ".spec.commitId")]
[PrinterColumn("Reference", ".status.reference", Priority = 1)]
[PrinterColumn("Age", ".metadata.creationTimestamp", "date")]
public sealed class Tag() : VersObject<TagSpec, TagStatus>("Tag")
{
    public static readonly ResourceType Type = ResourceType.For<Tag>();
}

[Description("The tag: repository, name and the commit it points at.")]
public sealed class TagSpec
{
    [Required]
    [RegularExpression(VersNames.Pattern)]
    [Description("The Vers name of the repository the tag belongs to.")]
    public string Repository { get; set; } = "";

    [Required]
    [RegularExpression(VersNames.Pattern)]
    [Description("The tag name (1-64 letters, digits, '-', '_', '.').")]
    public string Tag { get; set; } = "";

    [Required]
    [Description("Id (uuid) of the commit the tag points at.")]
    public string CommitId { get; set; } = "";
}

[Description("Derived from spec and written with the tag itself (Tag has no status subresource).")]
public sealed class TagStatus
{
    [Description("repository:tag, the reference Vers clients use.")]
    public string? Reference { get; set; }
}
