using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// The per-kind part of the registry, as k8s.io/apiserver/pkg/registry/rest has it: <c>RESTCreateStrategy</c>
/// (PrepareForCreate, Validate, WarningsOnCreate), <c>RESTUpdateStrategy</c> (PrepareForUpdate, ValidateUpdate,
/// AllowUnconditionalUpdate), <c>RESTDeleteStrategy</c>, plus what the real server does in the codec for a kind
/// (decoding: pruning, type checks, defaulting) and in its in-tree admission plugins. The generic store
/// (<see cref="Storage.ResourceStore"/>) calls these hooks and knows no kind; adding a kind is adding a strategy.
/// Every hook has the behaviour of a plain data kind by default.
/// </summary>
internal abstract class ResourceStrategy
{
    /// <summary>Subresources served besides <c>status</c> (which a version's <c>HasStatus</c> turns on).</summary>
    public virtual IReadOnlyCollection<string> Subresources => [];

    /// <summary>Subresources served as another kind (deployments/scale as autoscaling/v1 Scale); each is in <see cref="Subresources"/> too.</summary>
    public virtual IReadOnlyList<SubresourceView> Views => [];

    /// <summary>The view a subresource serves, if it serves another kind.</summary>
    public SubresourceView? View(string subresource) => Views.FirstOrDefault(v => v.Name == subresource);

    /// <summary>Whether metadata.generation is set on create and bumped when anything but metadata and status changes.</summary>
    public virtual bool TracksGeneration => false;

    /// <summary>Whether an update without metadata.resourceVersion is allowed (not for custom resources and CRDs).</summary>
    public virtual bool AllowUnconditionalUpdate => true;

    /// <summary>Whether <c>application/strategic-merge-patch+json</c> is served (Go types only, not custom resources).</summary>
    public virtual bool SupportsStrategicMerge => true;

    /// <summary>Whether objects are served in another shape than stored (then <see cref="ToStorage"/> and <see cref="FromStorage"/> convert).</summary>
    public virtual bool ConvertsStorage => false;

    /// <summary>A request body in the shape it is stored in.</summary>
    public virtual JsonObject ToStorage(JsonObject obj) => obj;

    /// <summary>A stored object in the shape this resource serves.</summary>
    public virtual JsonObject FromStorage(JsonObject obj) => obj;

    /// <summary>
    /// What decoding a body does for this kind before anything else: unknown fields pruned (returned as warnings;
    /// a 400 under fieldValidation=Strict), types checked, defaults applied (the <c>SetDefaults_*</c> functions).
    /// Runs again on what a mutating webhook returns, with <see cref="FieldValidation.Ignore"/>.
    /// </summary>
    public virtual IReadOnlyList<string> Decode(ResourceType type, JsonObject obj, FieldValidation validation) => [];

    /// <summary>What a stored object records as the schema it was defaulted with (custom resources only).</summary>
    public virtual object? DefaultsMark(ResourceType type) => null;

    /// <summary>Whether reading the object must apply defaults (KEP-575): it was not written with the current schema.</summary>
    public virtual bool NeedsReadDefaults(ResourceType type, StoredObject stored) => false;

    /// <summary>Defaults applied on read, so objects stored before a schema gained a default show it.</summary>
    public virtual void DefaultOnRead(ResourceType type, JsonObject obj) { }

    /// <summary>Checks of a create body in the version it was sent in, before conversion to storage.</summary>
    public virtual void ValidateCreateRequest(JsonObject body) { }

    /// <summary>The in-tree mutating admission plugins of this kind on create (before the webhooks).</summary>
    public virtual void AdmitCreate(StrategyContext ctx, JsonObject obj) { }

    /// <summary>metadata.name's rule (DNS subdomain unless the kind says otherwise); errors name <c>metadata.name</c>.</summary>
    public virtual IEnumerable<FieldError> ValidateName(string name) => NameRules.Subdomain(name, "metadata.name");

    /// <summary>
    /// Server-set fields of a new object (status, allocations). May return a reservation the store checks at commit
    /// (another create took the same allocated value meanwhile: the create is redone).
    /// </summary>
    public virtual CreateReservation? PrepareForCreate(StrategyContext ctx, JsonObject obj) => null;

    public virtual IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => [];

    public virtual IEnumerable<string> WarningsOnCreate(StrategyContext ctx, JsonObject obj) => [];

    /// <summary>
    /// Server-owned fields of an update kept from <paramref name="old"/>. The store has already kept status on main
    /// resource writes (and everything but status on status writes) and the immutable metadata.
    /// </summary>
    public virtual void PrepareForUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) { }

    public virtual IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => [];

    public virtual IEnumerable<string> WarningsOnUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => [];

    /// <summary>Finalizers the registry itself adds when the object is deleted (CRDs: instance cleanup).</summary>
    public virtual IEnumerable<string> FinalizersOnDelete => [];

    /// <summary>Whether something besides metadata.finalizers holds a terminating object (a Namespace's spec.finalizers).</summary>
    public virtual bool BlocksRemoval(JsonObject obj) => false;

    /// <summary>Fields a deletion that must wait sets on the object it marks terminating (e.g. a status phase).</summary>
    public virtual void PrepareForDelete(StrategyContext ctx, JsonObject terminating, JsonObject current) { }

    /// <summary>Whether <see cref="OnStored"/> and <see cref="OnRemoved"/> do anything (a reopened store replays what it holds to them).</summary>
    public virtual bool HooksStorage => false;

    /// <summary>After a create or update committed, under the store's lock (a CRD starts being served).</summary>
    public virtual void OnStored(IRegistryHooks hooks, StoredObject stored) { }

    /// <summary>After the object was removed, under the store's lock (a CRD stops being served, its instances go).</summary>
    public virtual void OnRemoved(IRegistryHooks hooks, StoredObject removed) { }
}

/// <summary>A plain data kind: no server-set fields, no validation beyond the name; optionally with a generation.</summary>
internal sealed class DataStrategy(bool tracksGeneration) : ResourceStrategy
{
    public static DataStrategy Plain { get; } = new(tracksGeneration: false);

    public override bool TracksGeneration => tracksGeneration;
}

/// <summary>What the store tells a strategy about the write in progress.</summary>
internal sealed record StrategyContext(ResourceType Type, TimeProvider Time, IObjectLister Objects, string? Subresource = null)
{
    private string? _now;

    /// <summary>The write's timestamp (RFC 3339, seconds), formatted on first use: most writes need none.</summary>
    public string Now => _now ??= Meta.Timestamp(Time.GetUtcNow());

    public bool IsStatus => Subresource == "status";
}

/// <summary>Read access to stored objects for strategies and in-tree admission (the informers' listers upstream).</summary>
internal interface IObjectLister
{
    Resources.ResourceRegistry Registry { get; }

    IReadOnlyList<JsonObject> List(ResourceType type);
}

/// <summary>What a strategy may do to the registry under the store's lock, after a commit.</summary>
internal interface IRegistryHooks
{
    Resources.ResourceRegistry Registry { get; }

    Microsoft.Extensions.Logging.ILogger Logger { get; }

    /// <summary>Removes every stored object of a bucket (with DELETED events).</summary>
    void RemoveAll(ResourceType type);
}

/// <summary>A value a create allocated; checked under the store's lock at commit.</summary>
internal abstract class CreateReservation
{
    /// <summary>Whether an object committed since the allocation holds the value (the create is then redone).</summary>
    public abstract bool IsTaken(Func<ResourceType, IEnumerable<StoredObject>> stored);

    /// <summary>Takes the allocated value back out of the object, so the next attempt allocates afresh.</summary>
    public abstract void Release(JsonObject obj);
}
