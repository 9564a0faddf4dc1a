using System.ComponentModel.DataAnnotations;
using k8s;
using k8s.Models;

namespace Vers.Api;

/// <summary>
/// What every vers.sh kind is: apiVersion, kind, metadata, a required spec and an optional status. What each part
/// means is said on its spec and status types ([Description] there becomes the CRD's), so the kinds declare only
/// their CRD attributes and their types.
/// </summary>
public abstract class VersObject<TSpec, TStatus>(string kind) : IKubernetesObject<V1ObjectMeta>, ISpec<TSpec>, IStatus<TStatus?>
    where TSpec : new()
    where TStatus : class
{
    public string ApiVersion { get; set; } = VersGroup.ApiVersion;

    public string Kind { get; set; } = kind;

    public V1ObjectMeta Metadata { get; set; } = new();

    [Required]
    public TSpec Spec { get; set; } = new();

    public TStatus? Status { get; set; }
}
