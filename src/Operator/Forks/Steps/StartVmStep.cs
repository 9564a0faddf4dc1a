using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using Vers.Kube;

namespace Vers.Operator.Forks.Steps;

/// <summary>
/// Like Vers, a fork's VM runs: <c>runStrategy: Always</c> (KubeVirt creates a cloned VM Halted; the copied VM is
/// created running), labelled so that its events find the fork. Progress: <c>status.printableStatus</c> until Running.
/// KubeVirt, the scheduler and the kubelet retry on their own from every other state (Provisioning, Starting,
/// WaitingForVolumeBinding, ErrorUnschedulable, ErrImagePull, ImagePullBackOff, CrashLoopBackOff, ErrorPvcNotFound while
/// a restore creates the claims, ...), so the fork waits them out until its deadline; a VM being deleted, or
/// gone, fails it at once (<see cref="Terminal"/>). Rollback: nothing; the VM is the VM step's.
/// </summary>
public sealed class StartVmStep(ForkServices services) : IForkStep
{
    /// <summary>printableStatus values a VM does not leave by itself while the fork waits.</summary>
    public static readonly IReadOnlySet<string> Terminal = new HashSet<string>(StringComparer.Ordinal) { "Terminating", "DataVolumeError" };

    public string Name => "StartVM";

    public async Task<StepResult> RunAsync(ForkContext fork, CancellationToken ct)
    {
        var ns = fork.Namespace;
        var vmId = fork.VmId;
        var vm = services.Vms.Get(ns, vmId) ?? await services.Client.TryGetAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns, vmId, ct)
            ?? throw new ForkFailedException(ForkReasons.VmFailed, $"VirtualMachine {ns}/{vmId} was deleted");
        if ((string?)vm.Spec?["runStrategy"] != "Always" || !fork.Owns(vm))
        {
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = ToJson(fork.Labels()) },
                ["spec"] = new JsonObject { ["running"] = null, ["runStrategy"] = "Always" },
            };
            vm = await services.PatchOrFailAsync<GenericObject>(KubeVirtTypes.VirtualMachine, ns, vmId, patch.ToJsonString(), ct);
            // Until the patch's event arrives the cache shows the VM Halted: not a reason to patch again.
            services.Vms.Wrote(vm);
        }

        var status = vm.Status;
        var printable = (string?)status?["printableStatus"];
        if (printable == "Running")
        {
            return StepResult.Done;
        }

        if (vm.Metadata.DeletionTimestamp is not null || (printable is not null && Terminal.Contains(printable)))
        {
            throw new ForkFailedException(ForkReasons.VmFailed, $"VirtualMachine {ns}/{vmId} cannot run: {printable ?? "Terminating"} ({Why(status)})");
        }

        var budget = services.Options.CloneTimeout + services.Options.StartTimeout;
        return StepResult.Waiting(services.Deadline(fork, budget, $"VirtualMachine {ns}/{vmId} did not start (last status {printable ?? "none"}: {Why(status)})"));
    }

    public Task RollbackAsync(ForkContext fork, CancellationToken ct) => Task.CompletedTask;

    /// <summary>KubeVirt's own words: the Failure condition, else why it is not Ready.</summary>
    private static string Why(JsonObject? status)
    {
        var failure = SourceGuard.ConditionMessage(status, "Failure");
        return failure != "no details" ? failure : SourceGuard.ConditionMessage(status, "Ready");
    }

    private static JsonObject ToJson(IDictionary<string, string> map)
    {
        var json = new JsonObject();
        foreach (var (key, value) in map)
        {
            json[key] = value;
        }

        return json;
    }
}
