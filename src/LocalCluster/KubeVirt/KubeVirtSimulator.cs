using k8s;
using Microsoft.Extensions.Logging;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;
using Vers.Operator.Runtime.Informers;

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

        var vms = new Controller<GenericObject>("kubevirt-vm", _ctx.VirtualMachines, new VirtualMachineReconciler(_ctx), loggers, controllerOptions);
        Watch(vms, _ctx.DataVolumes, dv => SimulatorIndexes.VmsUsing(_ctx, dv));

        var snapshots = new Controller<GenericObject>("kubevirt-vmsnapshot", _ctx.Snapshots, new VirtualMachineSnapshotReconciler(_ctx), loggers, controllerOptions);
        Watch(snapshots, _ctx.VirtualMachines, vm => SimulatorIndexes.SnapshotsOf(_ctx, vm));
        // Only the snapshot's own pass writes its content, so that write needs no wake-up of its own.
        snapshots.Watches(_ctx.Contents, content => OwnerKeys(content, "VirtualMachineSnapshot"));

        var clones = new Controller<GenericObject>("kubevirt-vmclone", _ctx.Clones, new VirtualMachineCloneReconciler(_ctx), loggers, controllerOptions);
        Watch(clones, _ctx.Snapshots, snapshot => SimulatorIndexes.ClonesOf(_ctx, snapshot.Metadata.NamespaceProperty, "VirtualMachineSnapshot", snapshot.Metadata.Name)
            .Concat(OwnerKeys(snapshot, "VirtualMachineClone")));
        Watch(clones, _ctx.Contents, content => SimulatorIndexes.ClonesOf(_ctx, content.Metadata.NamespaceProperty, "VirtualMachineSnapshot",
            (string?)content.Peek()["spec"]?["virtualMachineSnapshotName"]));
        Watch(clones, _ctx.VirtualMachines, vm => SimulatorIndexes.ClonesOf(_ctx, vm.Metadata.NamespaceProperty, "VirtualMachine", vm.Metadata.Name));

        var dataVolumes = new Controller<GenericObject>("cdi-datavolume", _ctx.DataVolumes, new DataVolumeReconciler(_ctx), loggers, controllerOptions);
        Watch(dataVolumes, _ctx.VolumeSnapshots, vs => SimulatorIndexes.DataVolumesRestoring(_ctx, vs));

        _runners.AddRange(_ctx.Informers.Select(i => (Func<CancellationToken, Task>)i.RunAsync));
        _runners.AddRange([vms.RunAsync, snapshots.RunAsync, clones.RunAsync, dataVolumes.RunAsync]);
    }

    public SimulatorOptions Options => _ctx.Options;

    /// <summary>Injection decisions held, one per snapshot, clone and DataVolume in flight.</summary>
    internal int DecisionsHeld => _ctx.DecisionCount;

    /// <summary>Copies of the simulator's own writes not yet delivered by its informers.</summary>
    internal int OwnWritesHeld => _ctx.OwnWritesHeld;

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

    /// <summary>
    /// Wakes <paramref name="controller"/> on changes to another kind: on its informer's events, and at once on the
    /// simulator's own writes, so that a controller acting on another's result need not wait for the watch.
    /// </summary>
    private void Watch(Controller<GenericObject> controller, ResourceInformer<GenericObject> other, Func<GenericObject, IEnumerable<ObjectKey>> map)
    {
        controller.Watches(other, map);
        _ctx.OnWrite(other.Type, written =>
        {
            foreach (var key in map(written)) controller.Enqueue(key);
        });
    }

    private static IEnumerable<ObjectKey> OwnerKeys(GenericObject obj, string ownerKind) =>
        (obj.Metadata.OwnerReferences ?? []).Where(o => o.Kind == ownerKind)
            .Select(o => new ObjectKey(obj.Metadata.NamespaceProperty, o.Name));
}
