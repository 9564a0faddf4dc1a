using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Admission;

/// <summary>
/// Who writes and through which endpoint, for the store to admit each attempt of a write with. Made only while some
/// plugin is registered (<see cref="For"/> answers null otherwise), so writes without plugins pay nothing.
/// </summary>
internal sealed class AdmissionContext
{
    private readonly AdmissionChain _chain;
    private readonly AdmissionUser _user;
    private readonly string? _subresource;

    private AdmissionContext(AdmissionChain chain, AdmissionUser user, string? subresource)
    {
        _chain = chain;
        _user = user;
        _subresource = subresource;
    }

    public static AdmissionContext? For(AdmissionChain chain, AdmissionUser user, string? subresource) =>
        chain.IsEmpty ? null : new AdmissionContext(chain, user, subresource);

    /// <summary>
    /// Mutating admission of one attempt: the object the plugins returned (to be decoded again), or null when none
    /// changed it. <paramref name="identity"/> is the resource that owns the storage the object is kept in.
    /// </summary>
    public ValueTask<JsonObject?> MutateAsync(AdmissionOperation operation, ResourceType identity, string ns, string name, bool dryRun, JsonObject? obj, JsonObject? old, CancellationToken ct) =>
        _chain.HasMutating ? _chain.MutateAsync(Attributes(operation, identity, ns, name, dryRun), obj, old, ct) : ValueTask.FromResult<JsonObject?>(null);

    /// <summary>Validating admission of one attempt, with the object as it would be stored.</summary>
    public ValueTask ValidateAsync(AdmissionOperation operation, ResourceType identity, string ns, string name, bool dryRun, JsonObject? obj, JsonObject? old, CancellationToken ct) =>
        _chain.HasValidating ? _chain.ValidateAsync(Attributes(operation, identity, ns, name, dryRun), obj, old, ct) : ValueTask.CompletedTask;

    private AdmissionRequest Attributes(AdmissionOperation operation, ResourceType identity, string ns, string name, bool dryRun) =>
        new(operation, identity.Group, identity.StorageVersion, identity.Plural, _subresource, identity.Kind,
            identity.Namespaced ? ns : null, name, null, null, _user, dryRun);
}
