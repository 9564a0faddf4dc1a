using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.KubeVirt.Admission;
using Vers.LocalCluster.KubeVirt.Cdi;
using Vers.LocalCluster.KubeVirt.Compute;
using Vers.LocalCluster.KubeVirt.Snapshots;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Controllers;
using Vers.Kube.Informers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Plays a cluster's KubeVirt, CDI and CSI storage against any Kubernetes API that serves the <see cref="KubeVirtCrds"/>
/// and the core storage kinds: virt-controller (VMs, snapshots, restores, clones), CDI's DataVolume controllers, the PV
/// controller, the external provisioner and snapshotter of a simulated CSI driver (<see cref="SimulatedStorage"/>), and —
/// through <see cref="AdmissionPlugins"/>, when the API server is in-process — virt-api's and cdi-apiserver's webhooks.
/// Watch-driven, idempotent and restartable: every step is derived from the objects on the server, and derived names
/// are deterministic. docs/simulator-fidelity.md lists what each part follows upstream and what it leaves out.
/// </summary>
public sealed class KubeVirtSimulator : IAsyncDisposable
{
    private readonly SimulatorContext _ctx;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private readonly List<Func<CancellationToken, Task>> _runners = [];
    private readonly IKubernetes _client;
    private readonly SharedInformerFactory _informers;
    private readonly SharedInformerFactory? _ownInformers;

    /// <summary>
    /// The simulator on <paramref name="client"/>; its informers come from <paramref name="informers"/> when it shares a
    /// factory with other components of the process (whose owner starts and stops it), else from a factory of its own.
    /// </summary>
    public KubeVirtSimulator(IKubernetes client, ILoggerFactory loggers, SimulatorOptions? options = null, TimeProvider? time = null, SharedInformerFactory? informers = null)
    {
        time ??= TimeProvider.System;
        _client = client;
        _ownInformers = informers is null ? new SharedInformerFactory(client, loggers) : null;
        _informers = informers ?? _ownInformers!;
        _ctx = new SimulatorContext(client, loggers, options ?? new SimulatorOptions(), time, _informers);
        _logger = loggers.CreateLogger<KubeVirtSimulator>();
        var controllerOptions = new ControllerOptions { Time = time, Workers = 2 };
        Controller<GenericObject> New(string name, ResourceInformer<GenericObject> informer, IReconciler<GenericObject> reconciler)
        {
            var controller = new Controller<GenericObject>(name, informer, reconciler, loggers, controllerOptions);
            _runners.Add(controller.RunAsync);
            return controller;
        }

        var claims = New("pv-controller-claims", _ctx.Claims, new ClaimReconciler(_ctx));
        Watch(claims, _ctx.Volumes, pv => pv.Spec?["claimRef"] is JsonObject claimRef && (string?)claimRef["name"] is { } name
            ? [new ObjectKey((string?)claimRef["namespace"], name)] : []);
        Watch(claims, _ctx.VolumeSnapshots, vs => SimulatorIndexes.ClaimsRestoring(_ctx, vs));

        var volumes = New("pv-controller-volumes", _ctx.Volumes, new VolumeReconciler(_ctx));
        Watch(volumes, _ctx.Claims, claim => (string?)claim.Spec?["volumeName"] is { } volume ? [new ObjectKey(null, volume)] : []);

        var snapshotter = New("csi-snapshotter", _ctx.VolumeSnapshots, new SnapshotterReconciler(_ctx));
        Watch(snapshotter, _ctx.Claims, claim => SimulatorIndexes.VolumeSnapshotsOf(_ctx, claim));
        Watch(snapshotter, _ctx.VolumeSnapshotClasses, _ => _ctx.VolumeSnapshots.List()
            .Where(vs => (bool?)vs.Peek()["status"]?["readyToUse"] != true).Select(ObjectKey.Of));
        Watch(snapshotter, _ctx.VolumeSnapshotContents, content => content.Spec?["volumeSnapshotRef"] is JsonObject reference && (string?)reference["name"] is { } name
            ? [new ObjectKey((string?)reference["namespace"], name)] : []);

        var dataVolumes = New("cdi-datavolume", _ctx.DataVolumes, new DataVolumeReconciler(_ctx));
        Watch(dataVolumes, _ctx.Claims, claim => OwnerKeys(claim, "DataVolume").Append(new ObjectKey(claim.Metadata.NamespaceProperty, claim.Metadata.Name)));
        Watch(dataVolumes, _ctx.VolumeSnapshots, vs => SimulatorIndexes.DataVolumesRestoring(_ctx, vs));

        var vms = New("kubevirt-vm", _ctx.VirtualMachines, new VirtualMachineReconciler(_ctx));
        Watch(vms, _ctx.DataVolumes, dv => SimulatorIndexes.VmsUsing(_ctx, dv));
        Watch(vms, _ctx.Claims, claim => SimulatorIndexes.VmsUsing(_ctx, claim));

        var snapshots = New("kubevirt-vmsnapshot", _ctx.Snapshots, new SnapshotReconciler(_ctx));
        Watch(snapshots, _ctx.VirtualMachines, vm => SimulatorIndexes.SnapshotsOf(_ctx, vm));
        Watch(snapshots, _ctx.Contents, content => (string?)content.Spec?["virtualMachineSnapshotName"] is { } name
            ? [new ObjectKey(content.Metadata.NamespaceProperty, name)] : []);
        Watch(snapshots, _ctx.Claims, claim => SimulatorIndexes.SnapshotsUsing(_ctx, claim));
        Watch(snapshots, _ctx.DataVolumes, dv => SimulatorIndexes.SnapshotsUsing(_ctx, dv));

        var contents = New("kubevirt-vmsnapshotcontent", _ctx.Contents, new ContentReconciler(_ctx));
        Watch(contents, _ctx.VolumeSnapshots, vs => OwnerKeys(vs, "VirtualMachineSnapshotContent"));

        var restores = New("kubevirt-vmrestore", _ctx.Restores, new RestoreReconciler(_ctx));
        Watch(restores, _ctx.Snapshots, snapshot => SimulatorIndexes.RestoresOf(_ctx, snapshot.Metadata.NamespaceProperty, snapshot.Metadata.Name));
        Watch(restores, _ctx.Contents, content => SimulatorIndexes.RestoresOf(_ctx, content.Metadata.NamespaceProperty, (string?)content.Spec?["virtualMachineSnapshotName"]));
        Watch(restores, _ctx.Claims, RestoreOf);

        var clones = New("kubevirt-vmclone", _ctx.Clones, new CloneReconciler(_ctx));
        Watch(clones, _ctx.Snapshots, snapshot => SimulatorIndexes.ClonesOf(_ctx, snapshot.Metadata.NamespaceProperty, "VirtualMachineSnapshot", snapshot.Metadata.Name)
            .Concat(OwnerKeys(snapshot, "VirtualMachineClone")));
        Watch(clones, _ctx.Contents, content => SimulatorIndexes.ClonesOf(_ctx, content.Metadata.NamespaceProperty, "VirtualMachineSnapshot",
            (string?)content.Peek()["spec"]?["virtualMachineSnapshotName"]));
        Watch(clones, _ctx.VirtualMachines, vm => SimulatorIndexes.ClonesOf(_ctx, vm.Metadata.NamespaceProperty, "VirtualMachine", vm.Metadata.Name)
            .Concat(SimulatorIndexes.ClonesTargeting(_ctx, vm)));
        Watch(clones, _ctx.Restores, restore => OwnerKeys(restore, "VirtualMachineClone"));
        Watch(clones, _ctx.Claims, claim => RestoreOf(claim).SelectMany(r => _ctx.Restores.Get(r.Namespace, r.Name) is { } restore ? OwnerKeys(restore, "VirtualMachineClone") : []));

        _ctx.AdmissionActive = false;
    }

    public SimulatorOptions Options => _ctx.Options;

    /// <summary>The controllers' shared client and caches: lets tests wait until the simulator has seen a change.</summary>
    internal SimulatorContext Context => _ctx;

    /// <summary>
    /// virt-api's and cdi-apiserver's webhooks and the deny-create fault, for an in-process API server to register
    /// (<c>KubeApiServer.Admission</c>); once registered, CDI's clone tokens are expected on cross-namespace clones.
    /// </summary>
    public IReadOnlyList<IAdmissionPlugin> AdmissionPlugins()
    {
        _ctx.AdmissionActive = true;
        return [.. KubeVirtWebhooks.All(_ctx), .. CdiWebhooks.All(_client), new DenyCreateWebhook(_ctx.Options)];
    }

    /// <summary>Installs the cluster's storage classes, snapshot class and KubeVirt resource, starts the informers and controllers; returns once every cache has synced.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_running.Count > 0)
        {
            throw new InvalidOperationException("The simulator is already started");
        }

        await InstallAsync(ct);
        _informers.Start();
        _running.AddRange(_runners.Select(run => Task.Run(() => run(_stop.Token), CancellationToken.None)));
        await Task.WhenAll(_ctx.Informers.Select(i => i.WaitForSyncAsync(ct)));
        _logger.LogInformation("KubeVirt/CDI simulator started");
    }

    /// <summary>What installing KubeVirt, CDI and a CSI driver leaves on a cluster: the classes and the KubeVirt resource (existing ones are kept).</summary>
    private async Task InstallAsync(CancellationToken ct)
    {
        var client = new KubeRestClient(_client);
        foreach (var (type, obj) in (IEnumerable<(ResourceType, JsonObject)>)
                 [
                     (KubeVirtTypes.StorageClass, SimulatedStorage.DefaultStorageClass()),
                     (KubeVirtTypes.StorageClass, SimulatedStorage.NoSnapshotStorageClass()),
                     (KubeVirtTypes.VolumeSnapshotClass, SimulatedStorage.VolumeSnapshotClass()),
                 ])
        {
            await CreateIfMissingAsync(client, type, null, obj, ct);
        }

        await CreateIfMissingAsync(client, ResourceType.Namespace, null, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = SimulatedKubeVirt.Namespace },
        }, ct);
        var kubeVirt = await CreateIfMissingAsync(client, SimulatedKubeVirt.Type, SimulatedKubeVirt.Namespace, SimulatedKubeVirt.Resource(), ct);
        if (kubeVirt.Status?["phase"] is null)
        {
            await client.PatchAsync<GenericObject>(SimulatedKubeVirt.Type, SimulatedKubeVirt.Namespace, SimulatedKubeVirt.Name,
                new JsonObject { ["status"] = SimulatedKubeVirt.DeployedStatus() }.ToJsonString(), ct, PatchKind.Merge, subresource: "status");
        }
    }

    private static async Task<GenericObject> CreateIfMissingAsync(KubeRestClient client, ResourceType type, string? ns, JsonObject obj, CancellationToken ct)
    {
        try
        {
            return await client.CreateAsync(type, ns, SimulatorContext.FromJson(obj), ct);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            return await client.GetAsync<GenericObject>(type, ns, (string)obj["metadata"]!["name"]!, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_running);
        }
        catch (OperationCanceledException)
        {
            // Normal shutdown.
        }

        await _ctx.DisposeEventsAsync();
        if (_ownInformers is not null)
        {
            await _ownInformers.DisposeAsync();
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
            foreach (var key in map(written))
            {
                controller.Enqueue(key);
            }
        });
    }

    /// <summary>A restored claim names its restore (<c>restore.kubevirt.io/name</c>).</summary>
    private static IEnumerable<ObjectKey> RestoreOf(GenericObject claim) =>
        claim.Metadata.Annotations?.TryGetValue(SnapshotKeys.RestoreNameAnnotation, out var restore) == true
            ? [new ObjectKey(claim.Metadata.NamespaceProperty, restore)]
            : [];

    private static IEnumerable<ObjectKey> OwnerKeys(GenericObject obj, string ownerKind) =>
        (obj.Metadata.OwnerReferences ?? []).Where(o => o.Kind == ownerKind)
            .Select(o => new ObjectKey(obj.Metadata.NamespaceProperty, o.Name));
}
