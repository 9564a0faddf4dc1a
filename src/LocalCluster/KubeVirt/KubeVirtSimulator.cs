using k8s;
using Microsoft.Extensions.Logging;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Plays KubeVirt's and CDI's controllers (VM status, snapshots, clones, DataVolumes) against any Kubernetes
/// API that serves the <see cref="KubeVirtCrds"/>. Watch-driven, idempotent and restartable: every step is
/// derived from the objects on the server, and derived names are deterministic.
/// </summary>
public sealed class KubeVirtSimulator : IAsyncDisposable
{
    private readonly SimulatorContext _ctx;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private readonly List<Func<CancellationToken, Task>> _runners = [];

    public KubeVirtSimulator(IKubernetes client, ILoggerFactory loggers, SimulatorOptions? options = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        _ctx = new SimulatorContext(client, loggers, options ?? new SimulatorOptions(), time);
        _logger = loggers.CreateLogger<KubeVirtSimulator>();
        var controllerOptions = new ControllerOptions { Time = time, Workers = 2 };

        var vms = new Controller<GenericObject>("kubevirt-vm", _ctx.VirtualMachines, new VirtualMachineReconciler(_ctx), loggers, controllerOptions)
            .Watches(_ctx.DataVolumes, dv => _ctx.VirtualMachines.List(dv.Metadata.NamespaceProperty)
                .Where(vm => UsesDataVolume(vm, dv.Metadata.Name)).Select(ObjectKey.Of));

        var snapshots = new Controller<GenericObject>("kubevirt-vmsnapshot", _ctx.Snapshots, new VirtualMachineSnapshotReconciler(_ctx), loggers, controllerOptions)
            .Watches(_ctx.VirtualMachines, vm => _ctx.Snapshots.List(vm.Metadata.NamespaceProperty)
                .Where(s => (string?)s.Spec?["source"]?["name"] == vm.Metadata.Name).Select(ObjectKey.Of))
            .Watches(_ctx.Contents, content => OwnerKeys(content, "VirtualMachineSnapshot"));

        var clones = new Controller<GenericObject>("kubevirt-vmclone", _ctx.Clones, new VirtualMachineCloneReconciler(_ctx), loggers, controllerOptions)
            .Watches(_ctx.Snapshots, snapshot => ClonesOfSnapshot(snapshot.Metadata.NamespaceProperty, snapshot.Metadata.Name)
                .Concat(OwnerKeys(snapshot, "VirtualMachineClone")))
            .Watches(_ctx.Contents, content => ClonesOfSnapshot(content.Metadata.NamespaceProperty, (string?)content.Spec?["virtualMachineSnapshotName"]))
            .Watches(_ctx.VirtualMachines, vm => _ctx.Clones.List(vm.Metadata.NamespaceProperty)
                .Where(c => (string?)c.Spec?["source"]?["kind"] == "VirtualMachine" && (string?)c.Spec?["source"]?["name"] == vm.Metadata.Name)
                .Select(ObjectKey.Of));

        var dataVolumes = new Controller<GenericObject>("cdi-datavolume", _ctx.DataVolumes, new DataVolumeReconciler(_ctx), loggers, controllerOptions)
            .Watches(_ctx.VolumeSnapshots, vs => _ctx.DataVolumes.List()
                .Where(dv => dv.Spec?["source"]?["snapshot"] is { } source
                    && (string?)source["name"] == vs.Metadata.Name
                    && ((string?)source["namespace"] ?? dv.Metadata.NamespaceProperty) == vs.Metadata.NamespaceProperty)
                .Select(ObjectKey.Of));

        _runners.AddRange(_ctx.Informers.Select(i => (Func<CancellationToken, Task>)i.RunAsync));
        _runners.AddRange([vms.RunAsync, snapshots.RunAsync, clones.RunAsync, dataVolumes.RunAsync]);
    }

    public SimulatorOptions Options => _ctx.Options;

    /// <summary>Starts the informers and controllers; returns once every cache has synced.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_running.Count > 0) throw new InvalidOperationException("The simulator is already started");
        _running.AddRange(_runners.Select(run => Task.Run(() => run(_stop.Token), CancellationToken.None)));
        await Task.WhenAll(_ctx.Informers.Select(i => i.WaitForSyncAsync(ct))).ConfigureAwait(false);
        _logger.LogInformation("KubeVirt/CDI simulator started");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_running).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Normal shutdown.
        }
        _stop.Dispose();
    }

    private IEnumerable<ObjectKey> ClonesOfSnapshot(string ns, string? snapshotName) =>
        snapshotName is null
            ? []
            : _ctx.Clones.List(ns)
                .Where(c => (string?)c.Spec?["source"]?["kind"] == "VirtualMachineSnapshot" && (string?)c.Spec?["source"]?["name"] == snapshotName)
                .Select(ObjectKey.Of);

    private static IEnumerable<ObjectKey> OwnerKeys(GenericObject obj, string ownerKind) =>
        (obj.Metadata.OwnerReferences ?? []).Where(o => o.Kind == ownerKind)
            .Select(o => new ObjectKey(obj.Metadata.NamespaceProperty, o.Name));

    private static bool UsesDataVolume(GenericObject vm, string dvName) =>
        vm.Spec?["template"]?["spec"]?["volumes"] is System.Text.Json.Nodes.JsonArray volumes
        && volumes.Any(v => (string?)v?["dataVolume"]?["name"] == dvName);
}
