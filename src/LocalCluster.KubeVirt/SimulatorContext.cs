using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Events;
using Vers.Kube.Informers;
using Vers.LocalCluster.KubeVirt.Admission;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// What the simulated controllers share: the client, the informer caches and their indexes, read-your-writes over
/// them, the Events each upstream component records, step timing (latency) and fault decisions.
/// </summary>
internal sealed class SimulatorContext
{
    private readonly InFlightObjects _inFlight = new();
    private readonly Dictionary<ResourceType, ReadYourWrites<GenericObject>> _own;
    private readonly Dictionary<ResourceType, List<Action<GenericObject>>> _onWrite = [];
    private readonly ConcurrentDictionary<string, EventRecorder> _recorders = new(StringComparer.Ordinal);
    private readonly IKubernetes _kubernetes;

    public SimulatorContext(IKubernetes client, ILoggerFactory loggers, SimulatorOptions options, TimeProvider time, SharedInformerFactory? informers = null)
    {
        _kubernetes = client;
        Client = new KubeRestClient(client, KubeJson.ReadWithoutManagedFields);
        Options = options;
        Time = time;
        Loggers = loggers;
        var informerOptions = new InformerOptions { Time = time };
        informers ??= new SharedInformerFactory(client, loggers);
        ResourceInformer<GenericObject> Informer(ResourceType type) => informers.Informer<GenericObject>(type, informerOptions);
        VirtualMachines = Informer(KubeVirtTypes.VirtualMachine);
        Snapshots = Informer(KubeVirtTypes.VirtualMachineSnapshot);
        Contents = Informer(KubeVirtTypes.VirtualMachineSnapshotContent);
        Restores = Informer(KubeVirtTypes.VirtualMachineRestore);
        Clones = Informer(KubeVirtTypes.VirtualMachineClone);
        DataVolumes = Informer(KubeVirtTypes.DataVolume);
        VolumeSnapshots = Informer(KubeVirtTypes.VolumeSnapshot);
        VolumeSnapshotContents = Informer(KubeVirtTypes.VolumeSnapshotContent);
        VolumeSnapshotClasses = Informer(KubeVirtTypes.VolumeSnapshotClass);
        Claims = Informer(KubeVirtTypes.PersistentVolumeClaim);
        Volumes = Informer(KubeVirtTypes.PersistentVolume);
        StorageClasses = Informer(KubeVirtTypes.StorageClass);
        KubeVirts = Informer(SimulatedKubeVirt.Type);
        SimulatorIndexes.Register(this);

        // Read-your-writes for every kind the simulator writes: see Newest and Get.
        _own = Informers.ToDictionary(i => i.Type, i => new ReadYourWrites<GenericObject>(i, time));

        // Timers and decisions are held for objects in flight only: dropped when the object is deleted (or seen terminal, see Forget).
        foreach (var informer in Informers)
        {
            informer.AddHandler((type, obj) =>
            {
                if (type == WatchEventType.Deleted)
                {
                    Forget(obj.Metadata.Uid);
                }
            });
        }
    }

    public KubeRestClient Client { get; }
    public SimulatorOptions Options { get; }
    public TimeProvider Time { get; }
    public ILoggerFactory Loggers { get; }

    public ResourceInformer<GenericObject> VirtualMachines { get; }
    public ResourceInformer<GenericObject> Snapshots { get; }
    public ResourceInformer<GenericObject> Contents { get; }
    public ResourceInformer<GenericObject> Restores { get; }
    public ResourceInformer<GenericObject> Clones { get; }
    public ResourceInformer<GenericObject> DataVolumes { get; }
    public ResourceInformer<GenericObject> VolumeSnapshots { get; }
    public ResourceInformer<GenericObject> VolumeSnapshotContents { get; }
    public ResourceInformer<GenericObject> VolumeSnapshotClasses { get; }
    public ResourceInformer<GenericObject> Claims { get; }
    public ResourceInformer<GenericObject> Volumes { get; }
    public ResourceInformer<GenericObject> StorageClasses { get; }
    public ResourceInformer<GenericObject> KubeVirts { get; }

    /// <summary>Whether creates pass the simulated admission webhooks (in-process API server); then e.g. CDI clone tokens exist.</summary>
    public bool AdmissionActive { get; set; }

    public IEnumerable<ResourceInformer<GenericObject>> Informers =>
    [
        VirtualMachines, Snapshots, Contents, Restores, Clones, DataVolumes, VolumeSnapshots, VolumeSnapshotContents,
        VolumeSnapshotClasses, Claims, Volumes, StorageClasses, KubeVirts,
    ];

    public string Now() => Timestamp(Time.GetUtcNow());

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether <paramref name="obj"/> is to fail (<see cref="SimulatorOptions.FailNext"/>, <c>--sim-fault fail=</c>): decided
    /// the first time a controller works on it and then kept, so a requeue never re-rolls it.
    /// </summary>
    public bool Fails(ResourceInformer<GenericObject> cache, string kind, GenericObject obj)
    {
        var uid = obj.Metadata.Uid;
        var fail = _inFlight.Fails(uid, kind, () => Options.TakeFailure(kind, obj.Metadata.NamespaceProperty));

        // A reconcile works on a copy taken before it ran: when the object was deleted meanwhile and its DELETED
        // already dropped the decision, the line above has just put it back. The cache forgets an object before
        // its DELETED handlers run, so one of the two always sees the other and nothing is left behind.
        if (cache.Get(obj.Metadata.NamespaceProperty, obj.Metadata.Name)?.Metadata.Uid != uid)
        {
            Forget(uid);
        }

        return fail;
    }

    /// <summary>
    /// Time left in one progress step of <paramref name="obj"/> (the latency of its kind): the step's clock starts the
    /// first time it is asked for. Zero when the step may complete now; a zero latency never starts a clock.
    /// </summary>
    public TimeSpan Remaining(string kind, GenericObject obj, string step) => Remaining(obj, step, Options.DelayFor(kind));

    /// <summary>Time left in a step of <paramref name="obj"/> that lasts <paramref name="delay"/> from the first time it is asked for.</summary>
    public TimeSpan Remaining(GenericObject obj, string step, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var now = Time.GetUtcNow();
        var left = _inFlight.StepStarted(obj.Metadata.Uid, step, now) + delay - now;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Drops the timers and decision of an object seen terminal or deleted.</summary>
    public void Forget(string uid) => _inFlight.Forget(uid);

    /// <summary>Stops the event recorders after posting what they hold.</summary>
    public async Task DisposeEventsAsync()
    {
        foreach (var recorder in _recorders.Values)
        {
            await recorder.DisposeAsync();
        }
    }

    /// <summary>The Events of one upstream component (its reportingController), e.g. <c>virt-controller</c>, <c>csi-provisioner</c>.</summary>
    public EventRecorder Events(string component) =>
        _recorders.GetOrAdd(component, c => new EventRecorder(_kubernetes, c, $"{c}-sim", Loggers, Time));

    /// <summary>
    /// <paramref name="obj"/>, or our own later write to it when the cached copy trails that write: a reconcile woken
    /// before the informer delivered the write then continues from the status it wrote instead of writing it again.
    /// </summary>
    public GenericObject Newest(ResourceType type, GenericObject obj) => _own[type].Newest(obj);

    /// <summary>An object by name as the simulator last saw it: its own write while the informer trails it, else the cache.</summary>
    public GenericObject? Get(ResourceType type, string? ns, string name) => _own[type].Get(ns, name);

    /// <summary>
    /// Runs <paramref name="notify"/> on every object of <paramref name="type"/> the simulator writes, as soon as the
    /// write returns: the controllers that watch that kind are woken without waiting for the informer's event.
    /// Register before the simulator starts.
    /// </summary>
    public void OnWrite(ResourceType type, Action<GenericObject> notify)
    {
        if (!_onWrite.TryGetValue(type, out var list))
        {
            _onWrite[type] = list = [];
        }

        list.Add(notify);
    }

    public static JsonObject ToJson(GenericObject obj) => JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();

    public static GenericObject FromJson(JsonObject obj) => KubernetesJson.Deserialize<GenericObject>(obj.ToJsonString());

    public static JsonObject OwnerReference(GenericObject owner, bool controller = true) => new()
    {
        ["apiVersion"] = owner.ApiVersion,
        ["kind"] = owner.Kind,
        ["name"] = owner.Metadata.Name,
        ["uid"] = owner.Metadata.Uid,
        ["controller"] = controller,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>Creates an object; an existing one of that name (a cache that lags our own write) is read instead.</summary>
    public async Task<GenericObject> CreateOrGetAsync(ResourceType type, JsonObject obj, CancellationToken ct)
    {
        var ns = type.Namespaced ? (string?)obj["metadata"]?["namespace"] : null;
        var name = (string)obj["metadata"]!["name"]!;
        GenericObject created;
        try
        {
            created = await Client.CreateAsync(type, ns, FromJson(obj), ct);
        }
        catch (KubeApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return await Client.GetAsync<GenericObject>(type, ns, name, ct);
        }

        Wrote(type, created);
        return created;
    }

    /// <summary>
    /// Merge-patches <c>status</c> through the status subresource, unless it already says so. Returns the object as
    /// written (or <paramref name="obj"/> when nothing was), for the next step of the same pass to build on.
    /// </summary>
    public async Task<GenericObject> PatchStatusAsync(ResourceType type, GenericObject obj, JsonObject status, CancellationToken ct)
    {
        if (!StatusDiffers(obj.Status, status))
        {
            return obj;
        }

        return await PatchAsync(type, obj, new JsonObject { ["status"] = status }, ct, "status");
    }

    /// <summary>Merge-patches the object (or its <paramref name="subresource"/>); the answer is recorded as our own write.</summary>
    public async Task<GenericObject> PatchAsync(ResourceType type, GenericObject obj, JsonObject patch, CancellationToken ct, string? subresource = null)
    {
        var written = await Client.PatchAsync<GenericObject>(type, type.Namespaced ? obj.Metadata.NamespaceProperty : null, obj.Metadata.Name,
            patch.ToJsonString(), ct, PatchKind.Merge, subresource: subresource);
        Wrote(type, written);
        return written;
    }

    /// <summary>Adds the finalizers not present yet, in one write; answers the object as written.</summary>
    public async Task<GenericObject> AddFinalizerAsync(ResourceType type, GenericObject obj, string finalizer, CancellationToken ct, string? another = null)
    {
        var finalizers = obj.Metadata.Finalizers ?? [];
        var missing = new[] { finalizer, another }.OfType<string>().Where(f => !finalizers.Contains(f)).ToList();
        if (missing.Count == 0)
        {
            return obj;
        }

        return await PatchAsync(type, obj, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = new JsonArray([.. finalizers.Concat(missing).Select(f => (JsonNode)f)]),
                ["resourceVersion"] = obj.Metadata.ResourceVersion,
            },
        }, ct);
    }

    /// <summary>Removes <paramref name="finalizer"/> when present (gone already is fine); answers whether a write was made.</summary>
    public async Task<bool> RemoveFinalizerAsync(ResourceType type, GenericObject obj, string finalizer, CancellationToken ct)
    {
        var finalizers = obj.Metadata.Finalizers ?? [];
        if (!finalizers.Contains(finalizer))
        {
            return false;
        }

        try
        {
            await PatchAsync(type, obj, new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["finalizers"] = new JsonArray([.. finalizers.Where(f => f != finalizer).Select(f => (JsonNode)f)]),
                    ["resourceVersion"] = obj.Metadata.ResourceVersion,
                },
            }, ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            // Gone already.
        }

        return true;
    }

    /// <summary>
    /// The whole reconcile of an object being deleted when nothing but its finalizer is left to clean up (its children go
    /// by garbage collection): the finalizer comes off. Answers whether <paramref name="obj"/> is being deleted.
    /// </summary>
    public async Task<bool> RemoveFinalizerIfDeletingAsync(ResourceType type, GenericObject obj, string finalizer, CancellationToken ct)
    {
        if (obj.Metadata.DeletionTimestamp is null)
        {
            return false;
        }

        await RemoveFinalizerAsync(type, obj, finalizer, ct);
        return true;
    }

    /// <summary>Deletes an object; gone already is fine.</summary>
    public Task DeleteAsync(ResourceType type, string? ns, string name, CancellationToken ct) =>
        Client.DeleteAsync(type, type.Namespaced ? ns : null, name, ct);

    /// <summary>Records a write: later lookups see it (<see cref="Get"/>, <see cref="Newest"/>) and its watchers are woken.</summary>
    public void Wrote(ResourceType type, GenericObject written)
    {
        _own[type].Wrote(written);
        if (_onWrite.TryGetValue(type, out var notify))
        {
            foreach (var n in notify)
            {
                n(written);
            }
        }
    }

    /// <summary>Compares the keys <paramref name="desired"/> sets; conditions by type/status/reason/message only.</summary>
    public static bool StatusDiffers(JsonObject? current, JsonObject desired)
    {
        foreach (var (key, value) in desired)
        {
            var existing = current?[key];
            if (key == "conditions")
            {
                if (ConditionKey(existing) != ConditionKey(value))
                {
                    return true;
                }
            }
            else if (!JsonNode.DeepEquals(existing, value))
            {
                return true;
            }
        }

        return false;
    }

    private static string ConditionKey(JsonNode? conditions) =>
        conditions is JsonArray array
            ? string.Join('|', array.OfType<JsonObject>().Select(c => $"{c["type"]};{c["status"]};{c["reason"]};{c["message"]}"))
            : "";

    /// <summary>A condition in the upstream shape; keeps the old lastTransitionTime while the status stays the same.</summary>
    public JsonObject Condition(JsonObject? currentStatus, string type, bool status, string? reason, string? message = null) =>
        Condition(currentStatus, type, status ? "True" : "False", reason, message);

    public JsonObject Condition(JsonObject? currentStatus, string type, string statusText, string? reason, string? message = null)
    {
        var existing = (currentStatus?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        var transition = existing is not null && (string?)existing["status"] == statusText && (string?)existing["lastTransitionTime"] is { } t
            ? t
            : Now();
        var condition = new JsonObject { ["type"] = type, ["status"] = statusText, ["lastTransitionTime"] = transition };
        if (reason is not null)
        {
            condition["reason"] = reason;
        }

        condition["message"] = message ?? "";
        return condition;
    }
}
