using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;
using Vers.Operator.Runtime.Informers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>What the simulated controllers share: the client, the informer caches and their indexes, injection and time.</summary>
internal sealed class SimulatorContext
{
    private readonly ConcurrentDictionary<(string Kind, string Uid), Decision> _decisions = new();
    private readonly Dictionary<ResourceType, OwnWrites> _own;
    private readonly Dictionary<ResourceType, List<Action<GenericObject>>> _onWrite = [];

    public SimulatorContext(IKubernetes client, ILoggerFactory loggers, SimulatorOptions options, TimeProvider time)
    {
        Client = new KubeRestClient(client, KubeJson.ReadWithoutManagedFields);
        Options = options;
        Time = time;
        Loggers = loggers;
        var informerOptions = new InformerOptions { Time = time };
        VirtualMachines = new(client, KubeVirtTypes.VirtualMachine, loggers, informerOptions);
        Snapshots = new(client, KubeVirtTypes.VirtualMachineSnapshot, loggers, informerOptions);
        Contents = new(client, KubeVirtTypes.VirtualMachineSnapshotContent, loggers, informerOptions);
        Clones = new(client, KubeVirtTypes.VirtualMachineClone, loggers, informerOptions);
        DataVolumes = new(client, KubeVirtTypes.DataVolume, loggers, informerOptions);
        VolumeSnapshots = new(client, KubeVirtTypes.VolumeSnapshot, loggers, informerOptions);
        SimulatorIndexes.Register(this);

        // Read-your-writes for every kind the simulator writes: see Newest and Get.
        _own = Informers.ToDictionary(i => i.Type, i => new OwnWrites(i, time));

        // A decision is dropped once its object is terminal (see Forget) or deleted, so the map holds objects in flight only.
        Snapshots.AddHandler(ForgetDeleted(VirtualMachineSnapshotReconciler.Kind));
        Clones.AddHandler(ForgetDeleted(VirtualMachineCloneReconciler.Kind));
        DataVolumes.AddHandler(ForgetDeleted(DataVolumeReconciler.Kind));
    }

    public KubeRestClient Client { get; }
    public SimulatorOptions Options { get; }
    public TimeProvider Time { get; }
    public ILoggerFactory Loggers { get; }

    public ResourceInformer<GenericObject> VirtualMachines { get; }
    public ResourceInformer<GenericObject> Snapshots { get; }
    public ResourceInformer<GenericObject> Contents { get; }
    public ResourceInformer<GenericObject> Clones { get; }
    public ResourceInformer<GenericObject> DataVolumes { get; }
    public ResourceInformer<GenericObject> VolumeSnapshots { get; }

    public IEnumerable<ResourceInformer<GenericObject>> Informers =>
        [VirtualMachines, Snapshots, Contents, Clones, DataVolumes, VolumeSnapshots];

    /// <summary>Injection decisions held: one per snapshot, clone and DataVolume in flight.</summary>
    internal int DecisionCount => _decisions.Count;

    public string Now() => Timestamp(Time.GetUtcNow());

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The injection decision for one object, taken the first time the simulator works on it and then kept,
    /// so that a requeue neither re-rolls a failure nor restarts a delay.
    /// </summary>
    public Decision Decide(ResourceInformer<GenericObject> cache, string kind, GenericObject obj)
    {
        var uid = obj.Metadata.Uid;
        var decision = _decisions.GetOrAdd((kind, uid), _ => new Decision(Time.GetUtcNow() + Options.DelayFor(kind), Options.TakeFailure(kind)));

        // A reconcile works on a copy taken before it ran: when the object was deleted meanwhile and its DELETED
        // already dropped the decision, the line above has just put it back. The cache forgets an object before
        // its DELETED handlers run, so one of the two always sees the other and nothing is left behind.
        if (cache.Get(obj.Metadata.NamespaceProperty, obj.Metadata.Name)?.Metadata.Uid != uid)
        {
            Forget(kind, uid);
        }

        return decision;
    }

    /// <summary>
    /// Drops the decision of an object seen terminal. Safe: reconciles of one key run one at a time on copies that
    /// are never older than the last, so no later reconcile sees the object in flight again and decides anew.
    /// </summary>
    public void Forget(string kind, string uid) => _decisions.TryRemove((kind, uid), out _);

    private Action<WatchEventType, GenericObject> ForgetDeleted(string kind) =>
        (type, obj) =>
        {
            if (type == WatchEventType.Deleted) Forget(kind, obj.Metadata.Uid);
        };

    /// <summary>
    /// <paramref name="obj"/>, or our own later write to it when the cached copy trails that write: a reconcile woken
    /// before the informer delivered the write then continues from the status it wrote instead of writing it again.
    /// </summary>
    public GenericObject Newest(ResourceType type, GenericObject obj) => _own[type].Newest(obj);

    /// <summary>An object by name as the simulator last saw it: its own write while the informer trails it, else the cache.</summary>
    public GenericObject? Get(ResourceType type, string? ns, string name) => _own[type].Get(ns, name);

    /// <summary>Copies of our own writes held until the informers deliver them.</summary>
    internal int OwnWritesHeld => _own.Values.Sum(o => o.Count);

    /// <summary>
    /// Runs <paramref name="notify"/> on every object of <paramref name="type"/> the simulator writes, as soon as the
    /// write returns: the controllers that watch that kind are woken without waiting for the informer's event.
    /// Register before the simulator starts.
    /// </summary>
    public void OnWrite(ResourceType type, Action<GenericObject> notify)
    {
        if (!_onWrite.TryGetValue(type, out var list)) _onWrite[type] = list = [];
        list.Add(notify);
    }

    /// <summary>Time left before a delayed object may complete; zero when it may complete now.</summary>
    public TimeSpan Remaining(Decision decision)
    {
        var left = decision.ReadyAt - Time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
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
        var ns = (string?)obj["metadata"]?["namespace"];
        var name = (string)obj["metadata"]!["name"]!;
        GenericObject created;
        try
        {
            created = await Client.CreateAsync(type, ns, FromJson(obj), ct).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return await Client.GetAsync<GenericObject>(type, ns, name, ct).ConfigureAwait(false);
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
        if (!StatusDiffers(obj.Status, status)) return obj;
        var patch = new JsonObject { ["status"] = status };
        var written = await Client.PatchAsync<GenericObject>(type, obj.Metadata.NamespaceProperty, obj.Metadata.Name, patch.ToJsonString(), ct,
            PatchKind.Merge, subresource: "status").ConfigureAwait(false);
        Wrote(type, written);
        return written;
    }

    /// <summary>Records a write: later lookups see it (<see cref="Get"/>, <see cref="Newest"/>) and its watchers are woken.</summary>
    public void Wrote(ResourceType type, GenericObject written)
    {
        _own[type].Wrote(written);
        if (_onWrite.TryGetValue(type, out var notify))
        {
            foreach (var n in notify) n(written);
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
                if (ConditionKey(existing) != ConditionKey(value)) return true;
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

    /// <summary>A condition in KubeVirt's shape; keeps the old lastTransitionTime while the status stays the same.</summary>
    public JsonObject Condition(JsonObject? currentStatus, string type, bool status, string? reason, string? message = null)
    {
        var statusText = status ? "True" : "False";
        var existing = (currentStatus?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        var transition = existing is not null && (string?)existing["status"] == statusText && (string?)existing["lastTransitionTime"] is { } t
            ? t
            : Now();
        var condition = new JsonObject { ["type"] = type, ["status"] = statusText, ["lastTransitionTime"] = transition };
        if (reason is not null) condition["reason"] = reason;
        condition["message"] = message ?? reason ?? "";
        return condition;
    }

    public readonly record struct Decision(DateTimeOffset ReadyAt, bool Fail);
}
