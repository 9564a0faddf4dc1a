using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Admission;

/// <summary>The operation of an admitted write (admission.k8s.io/v1 <c>AdmissionRequest.operation</c>, without CONNECT).</summary>
public enum AdmissionOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>Who made the request (<c>AdmissionRequest.userInfo</c>): the user the request authenticated as, or impersonates.</summary>
public sealed record AdmissionUser(string Username, IReadOnlyList<string> Groups, string Uid = "")
{
    /// <summary>user.Info's extra attributes (an impersonating request's Impersonate-Extra-* headers).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>
/// What an admission webhook is sent (admission.k8s.io/v1 <c>AdmissionRequest</c>), in the object's storage version.
/// <see cref="Object"/> is the new object (null on delete), <see cref="OldObject"/> the stored one (null on create).
/// Both are private copies: a plugin may change them, but only a returned <see cref="AdmissionResponse.Patched"/>
/// object takes effect. <see cref="Name"/> is empty for a create by <c>generateName</c> until the name is generated
/// (mutating plugins see it empty, validating plugins see the generated name), as in kube-apiserver.
/// </summary>
public sealed record AdmissionRequest(
    AdmissionOperation Operation,
    string Group,
    string Version,
    string Resource,
    string? Subresource,
    string Kind,
    string? Namespace,
    string Name,
    JsonObject? Object,
    JsonObject? OldObject,
    AdmissionUser User,
    bool DryRun);

/// <summary>
/// A plugin's answer (admission.k8s.io/v1 <c>AdmissionResponse</c>). A denial fails the request the way kube-apiserver
/// fails it for a webhook's denial; <see cref="Patched"/> replaces the object (mutating plugins only; ignored on delete).
/// </summary>
public sealed record AdmissionResponse(bool Allowed, JsonObject? Patched = null, int Code = 0, string? Message = null, string? Reason = null)
{
    public static AdmissionResponse Allow() => new(true);

    public static AdmissionResponse Mutate(JsonObject patched) => new(true, patched);

    public static AdmissionResponse Deny(int code, string message, string? reason = null) => new(false, null, code, message, reason);
}

/// <summary>
/// An in-process admission plugin, called like a webhook registered with <c>failurePolicy: Fail</c>,
/// <c>sideEffects: None</c> (so also for dry-run requests) and <c>timeoutSeconds</c> unbounded.
/// </summary>
public interface IAdmissionPlugin
{
    /// <summary>The webhook name that error messages carry, e.g. <c>virtualmachinesnapshot-validator.snapshot.kubevirt.io</c>.</summary>
    string Name { get; }

    /// <summary>True for a MutatingAdmissionWebhook, false for a ValidatingAdmissionWebhook.</summary>
    bool Mutating { get; }

    /// <summary>
    /// The webhook's rules: a cheap match on the request's attributes (operation, group, version, resource,
    /// subresource, kind, namespace, name, user, dry-run). It is called before the objects are copied for the plugin,
    /// so <see cref="AdmissionRequest.Object"/> and <see cref="AdmissionRequest.OldObject"/> are null here.
    /// </summary>
    bool Handles(AdmissionRequest request);

    ValueTask<AdmissionResponse> AdmitAsync(AdmissionRequest request, CancellationToken ct);
}
