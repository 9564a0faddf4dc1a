using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Admission;

namespace Vers.LocalCluster.KubeVirt.Admission;

/// <summary>
/// virt-api's webhooks for snapshots, restores and clones (pkg/virt-operator/resource/generate/components/webhooks.go),
/// with their rules, words and codes: a request the admitter refuses for a rule answers 422 Invalid with the causes'
/// messages (pkg/util/webhooks <c>ToAdmissionResponse</c>); a disabled feature gate answers 400 (<c>ToAdmissionResponseError</c>).
/// The Snapshot gate is read from the <see cref="SimulatedKubeVirt"/> resource.
/// </summary>
internal static class KubeVirtWebhooks
{
    public static IEnumerable<IAdmissionPlugin> All(SimulatorContext ctx) =>
    [
        new CloneMutator(),
        new Validator("virtualmachinesnapshot-validator.snapshot.kubevirt.io", "snapshot.kubevirt.io", "virtualmachinesnapshots", (request, _) =>
            Gate(ctx, request, "snapshot feature gate not enabled") ?? SnapshotOrRestore(request, "source")),
        new Validator("virtualmachinerestore-validator.snapshot.kubevirt.io", "snapshot.kubevirt.io", "virtualmachinerestores", (request, _) =>
            Gate(ctx, request, "Snapshot/Restore feature gate not enabled") ?? SnapshotOrRestore(request, "target")),
        new Validator("vm-clone-validator.kubevirt.io", "clone.kubevirt.io", "virtualmachineclones", (request, _) =>
            Gate(ctx, request, "snapshot feature gate is not enabled") ?? Clone(request)),
    ];

    /// <summary>Only creates are gated (vmsnapshot.go, vmrestore.go, vmclone-admitter.go).</summary>
    private static AdmissionResponse? Gate(SimulatorContext ctx, AdmissionRequest request, string message) =>
        request.Operation == AdmissionOperation.Create
        && !SimulatedKubeVirt.IsEnabled(ctx.Get(SimulatedKubeVirt.Type, SimulatedKubeVirt.Namespace, SimulatedKubeVirt.Name), "Snapshot")
            ? AdmissionResponse.Deny(400, message)
            : null;

    /// <summary>pkg/storage/admitters/vmsnapshot.go and vmrestore.go: the VM reference on create, an immutable spec on update.</summary>
    private static AdmissionResponse SnapshotOrRestore(AdmissionRequest request, string field)
    {
        if (request.Operation == AdmissionOperation.Update)
        {
            return JsonNode.DeepEquals(request.Object?["spec"], request.OldObject?["spec"])
                ? AdmissionResponse.Allow()
                : Invalid("spec in immutable after creation");
        }

        var reference = request.Object?["spec"]?[field] as JsonObject;
        var group = (string?)reference?["apiGroup"];
        return group is null ? Invalid("missing apiGroup")
            : group == "kubevirt.io" && (string?)reference?["kind"] != "VirtualMachine" ? Invalid("invalid kind")
            : group != "kubevirt.io" ? Invalid("invalid apiGroup")
            : AdmissionResponse.Allow();
    }

    /// <summary>
    /// vmclone-admitter.go <c>Admit</c>: every cause is collected, in the admitter's order (validateSourceAndTargetKind,
    /// validateSource, validateTarget), and <c>ToAdmissionResponse</c> joins their messages with ", ".
    /// </summary>
    private static AdmissionResponse Clone(AdmissionRequest request)
    {
        var spec = request.Object?["spec"] as JsonObject;
        var source = spec?["source"] as JsonObject;
        var target = spec?["target"] as JsonObject;
        var sourceKind = (string?)source?["kind"] ?? "";
        var causes = new List<string>();
        if (sourceKind is not ("VirtualMachine" or "VirtualMachineSnapshot"))
        {
            causes.Add("Source kind is not supported");
        }

        if (target is not null && (string?)target["kind"] != "VirtualMachine")
        {
            causes.Add("Target kind is not supported");
        }

        if (source is null)
        {
            causes.Add("Source cannot be nil");
        }
        else
        {
            if ((string?)source["apiGroup"] is not { Length: > 0 })
            {
                causes.Add("Source's APIGroup cannot be empty");
            }

            if (sourceKind.Length == 0)
            {
                causes.Add("Source's Kind cannot be empty");
            }

            if ((string?)source["name"] is not { Length: > 0 })
            {
                causes.Add("Source's name cannot be empty");
            }
        }

        if (source is not null && target is not null && sourceKind == "VirtualMachine" && (string?)target["kind"] == "VirtualMachine"
            && (string?)target["name"] == (string?)source["name"])
        {
            causes.Add("Target name cannot be equal to source name when both are VirtualMachines");
        }

        return causes.Count == 0 ? AdmissionResponse.Allow()
            : Invalid(string.Join(", ", causes.Take(10)) + (causes.Count > 10 ? $", and {causes.Count - 10} more validation errors" : ""));
    }

    private static AdmissionResponse Invalid(string message) => AdmissionResponse.Deny(422, message, "Invalid");

    /// <summary>A validating webhook for creates and updates of one resource (not its status).</summary>
    private sealed class Validator(string name, string group, string resource, Func<AdmissionRequest, CancellationToken, AdmissionResponse> admit) : IAdmissionPlugin
    {
        public string Name => name;

        public bool Mutating => false;

        public bool Handles(AdmissionRequest request) =>
            request.Operation is AdmissionOperation.Create or AdmissionOperation.Update && request.Subresource is null && request.Group == group && request.Resource == resource;

        public ValueTask<AdmissionResponse> AdmitAsync(AdmissionRequest request, CancellationToken ct) => ValueTask.FromResult(admit(request, ct));
    }

    /// <summary>
    /// clone-create-mutator.go: a clone without a target name gets <c>clone-&lt;source&gt;-&lt;5 random characters&gt;</c>
    /// (apimachinery's rand.String alphabet) at admission.
    /// </summary>
    private sealed class CloneMutator : IAdmissionPlugin
    {
        private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

        public string Name => "virtualmachineclones-mutator.kubevirt.io";

        public bool Mutating => true;

        public bool Handles(AdmissionRequest request) =>
            request.Operation == AdmissionOperation.Create && request.Subresource is null && request.Group == "clone.kubevirt.io" && request.Resource == "virtualmachineclones";

        public ValueTask<AdmissionResponse> AdmitAsync(AdmissionRequest request, CancellationToken ct)
        {
            var clone = request.Object!;
            if (clone["spec"] is not JsonObject spec || (string?)spec["target"]?["name"] is { Length: > 0 })
            {
                return ValueTask.FromResult(AdmissionResponse.Allow());
            }

            var suffix = new string([.. Enumerable.Range(0, 5).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)])]);
            spec["target"] = new JsonObject
            {
                ["apiGroup"] = "kubevirt.io",
                ["kind"] = "VirtualMachine",
                ["name"] = $"clone-{(string?)spec["source"]?["name"]}-{suffix}",
            };
            return ValueTask.FromResult(AdmissionResponse.Mutate(clone));
        }
    }
}
