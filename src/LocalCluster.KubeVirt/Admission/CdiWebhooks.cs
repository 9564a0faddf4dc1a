using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.KubeVirt.Cdi;
using Vers.LocalCluster.KubeVirt.Storage;

namespace Vers.LocalCluster.KubeVirt.Admission;

/// <summary>
/// cdi-apiserver's DataVolume webhooks (pkg/apiserver/webhooks, registered in pkg/operator/resources/cluster/apiserver.go).
/// Their rejections carry CDI's words with a leading space and code 422 (<c>toRejectedAdmissionResponse</c>); other
/// errors code 400 (<c>toAdmissionResponseError</c>).
/// </summary>
internal static class CdiWebhooks
{
    public static IEnumerable<IAdmissionPlugin> All(IKubernetes client) => [new Mutator(client), new Validator()];

    private static bool IsDataVolumeWrite(AdmissionRequest request) =>
        request.Operation is AdmissionOperation.Create or AdmissionOperation.Update && request.Subresource is null
        && request.Group == "cdi.kubevirt.io" && request.Resource == "datavolumes";

    private static AdmissionResponse Rejected(string message) => AdmissionResponse.Deny(422, " " + message);

    /// <summary>
    /// <c>datavolume-mutate.cdi.kubevirt.io</c> (datavolume-mutate.go <c>Admit</c>, v1beta1 authorize_utils.go): a clone from another
    /// namespace is authorised for the requesting user with SubjectAccessReviews — <c>create datavolumes/source</c> in the
    /// source namespace, else both <c>create pods</c> and <c>create pvcs</c> (the literal resource name upstream asks about) —
    /// and, when allowed, stamped with a clone token the DataVolume controller relies on.
    /// </summary>
    private sealed class Mutator(IKubernetes client) : IAdmissionPlugin
    {
        private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

        public string Name => "datavolume-mutate.cdi.kubevirt.io";

        public bool Mutating => true;

        public bool Handles(AdmissionRequest request) => IsDataVolumeWrite(request);

        public async ValueTask<AdmissionResponse> AdmitAsync(AdmissionRequest request, CancellationToken ct)
        {
            var dv = request.Object!;
            var source = dv["spec"]?["source"];
            var (kind, sourceNode) = source?["snapshot"] is JsonObject s ? ("snapshot", s) : source?["pvc"] is JsonObject p ? ("pvc", p) : (null, null);
            var ns = request.Namespace ?? "";
            if (kind is null || request.Operation != AdmissionOperation.Create)
            {
                return AdmissionResponse.Allow();
            }

            var sourceNs = (string?)sourceNode!["namespace"] is { Length: > 0 } given ? given : ns;
            var sourceName = (string?)sourceNode["name"] ?? "";
            if (sourceNs != ns)
            {
                try
                {
                    await client.CoreV1.ReadNamespaceAsync(sourceNs, cancellationToken: ct);
                }
                catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    return AdmissionResponse.Deny(400, $"namespaces \"{sourceNs}\" not found");
                }

                if (!await AllowedAsync(request.User, sourceNs, sourceName, kind, ct))
                {
                    return Rejected($"User {request.User.Username} has insufficient permissions in clone source namespace {sourceNs}");
                }
            }

            var annotations = dv["metadata"]!["annotations"] as JsonObject ?? [];
            annotations[CdiKeys.CloneToken] = Token(sourceNs, sourceName, ns, (string?)dv["metadata"]?["name"] ?? "", kind);
            dv["metadata"]!["annotations"] = annotations;
            return AdmissionResponse.Mutate(dv);
        }

        /// <summary>authorize_utils.go <c>authorizeClone</c>: the explicit subresource, or the implicit pair.</summary>
        private async Task<bool> AllowedAsync(AdmissionUser user, string ns, string name, string kind, CancellationToken ct)
        {
            if (await ReviewAsync(user, ns, name, "cdi.kubevirt.io", "datavolumes", "source", ct))
            {
                return true;
            }

            if (kind == "pvc")
            {
                return await ReviewAsync(user, ns, name, "", "pods", null, ct);
            }

            return await ReviewAsync(user, ns, name, "", "pods", null, ct)
                && await ReviewAsync(user, ns, name, "", "pvcs", null, ct);
        }

        private async Task<bool> ReviewAsync(AdmissionUser user, string ns, string name, string group, string resource, string? subresource, CancellationToken ct)
        {
            var review = await client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
            {
                ApiVersion = "authorization.k8s.io/v1",
                Kind = "SubjectAccessReview",
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = user.Username,
                    Groups = [.. user.Groups],
                    Uid = user.Uid,
                    ResourceAttributes = new V1ResourceAttributes
                    {
                        NamespaceProperty = ns, Verb = "create", Group = group, Resource = resource, Subresource = subresource, Name = name,
                    },
                },
            }, cancellationToken: ct);
            return review.Status?.Allowed == true;
        }

        /// <summary>The clone token's claims (operation, source, target), signed: stands for CDI's JWT.</summary>
        private static string Token(string sourceNs, string sourceName, string ns, string name, string kind)
        {
            var claims = new JsonObject
            {
                ["operation"] = "Clone",
                ["name"] = sourceName,
                ["namespace"] = sourceNs,
                ["resource"] = new JsonObject
                {
                    ["group"] = kind == "snapshot" ? "snapshot.storage.k8s.io" : "",
                    ["version"] = "v1",
                    ["resource"] = kind == "snapshot" ? "volumesnapshots" : "persistentvolumeclaims",
                },
                ["params"] = new JsonObject { ["targetNamespace"] = ns, ["targetName"] = name },
                ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            };
            var header = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
            var payload = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
            var signature = Base64Url(HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes($"{header}.{payload}")));
            return $"{header}.{payload}.{signature}";
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary><c>datavolume-validate.cdi.kubevirt.io</c> (datavolume-validate.go): the rules a DataVolume's spec must meet.</summary>
    private sealed class Validator : IAdmissionPlugin
    {
        public string Name => "datavolume-validate.cdi.kubevirt.io";

        public bool Mutating => false;

        public bool Handles(AdmissionRequest request) => IsDataVolumeWrite(request);

        public ValueTask<AdmissionResponse> AdmitAsync(AdmissionRequest request, CancellationToken ct) =>
            ValueTask.FromResult(Problem(request) is { } problem ? Rejected(problem) : AdmissionResponse.Allow());

        private static string? Problem(AdmissionRequest request)
        {
            var spec = request.Object?["spec"] as JsonObject ?? [];
            if (request.Operation == AdmissionOperation.Update)
            {
                return JsonNode.DeepEquals(spec, request.OldObject?["spec"]) ? null : "Cannot update DataVolume Spec";
            }

            var pvc = spec["pvc"] as JsonObject;
            var storage = spec["storage"] as JsonObject;
            if (pvc is null && storage is null)
            {
                return "Missing Data volume PVC";
            }

            if (pvc is not null && storage is not null)
            {
                return "Duplicate storage definition, both target storage and target pvc defined";
            }

            var source = spec["source"] as JsonObject;
            if ((source is null || source.Count == 0) && spec["sourceRef"] is null)
            {
                return "Data volume should have either Source or SourceRef, or be externally populated";
            }

            if (source?["snapshot"] is JsonObject snapshot && ((string?)snapshot["name"] is not { Length: > 0 } || (string?)snapshot["namespace"] is not { Length: > 0 }))
            {
                return "spec.source.Snapshot source snapshot is not valid";
            }

            var what = pvc is not null ? "PVC" : "Storage";
            var size = (pvc ?? storage)!["resources"]?["requests"]?["storage"];
            var isClone = source?["snapshot"] is not null || source?["pvc"] is not null;
            if (size is null)
            {
                return storage is not null && isClone ? null : $"{what} size is missing";
            }

            var bytes = SimulatedStorage.Bytes(size);
            if (bytes is null or <= 0)
            {
                return $"{what} size can't be equal or less than zero";
            }

            if (bytes < CdiKeys.AlignBlockSize)
            {
                return $"{what} size should be at least 1MiB";
            }

            if (pvc is not null && (pvc["accessModes"] as JsonArray)?.Count is not > 0)
            {
                return "Required value: at least 1 access mode is required";
            }

            return null;
        }
    }
}

/// <summary>
/// <c>--sim-fault deny-create=&lt;plural&gt;</c>: a validating webhook of the simulated cluster that refuses creates of that
/// resource with 403, as a policy engine (Gatekeeper, Kyverno) or a quota would.
/// </summary>
internal sealed class DenyCreateWebhook(SimulatorOptions options) : IAdmissionPlugin
{
    public string Name => "deny-create.sim-fault.localcluster.vers.sh";

    public bool Mutating => false;

    public bool Handles(AdmissionRequest request) =>
        request.Operation == AdmissionOperation.Create && request.Subresource is null && options.DeniesCreate(request.Resource);

    public ValueTask<AdmissionResponse> AdmitAsync(AdmissionRequest request, CancellationToken ct) =>
        ValueTask.FromResult(AdmissionResponse.Deny(403, string.Create(CultureInfo.InvariantCulture,
            $"creating {request.Resource} is denied by the simulated cluster's policy (--sim-fault deny-create={request.Resource})"), "Forbidden"));
}
