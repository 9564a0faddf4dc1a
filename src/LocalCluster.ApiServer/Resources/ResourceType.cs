using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Resources;

/// <summary>The (plural, group) pair used in error messages and Status details.</summary>
internal sealed record ResourceName(string Group, string Plural)
{
    /// <summary><c>widgets.example.com</c>, or just <c>configmaps</c> for the core group.</summary>
    public string Qualified => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public JsonObject Details(string name) => new() { ["name"] = name, ["group"] = Group, ["kind"] = Plural };
}

/// <summary>Which built-in behaviour (printer, field selectors, defaults) a resource gets.</summary>
internal enum BuiltinKind
{
    None,
    Namespace,
    ConfigMap,
    Secret,
    ServiceAccount,
    CoreEvent,
    EventsV1Event,
    Lease,
    CustomResourceDefinition,
    Service,
    Deployment,
    PodDisruptionBudget,
    NetworkPolicy,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    TokenReview,
    SubjectAccessReview,
    SelfSubjectAccessReview,
    LocalSubjectAccessReview,
    SelfSubjectRulesReview,
    SelfSubjectReview,
    PersistentVolumeClaim,
    PersistentVolume,
    StorageClass,
}

/// <summary>A CRD <c>additionalPrinterColumns</c> entry.</summary>
internal sealed record PrinterColumn(string Name, string Type, string? Format, string Description, int Priority, string JsonPath);

internal sealed record ResourceVersion(string Name, bool Served, bool Storage, bool HasStatus, JsonObject? Schema, IReadOnlyList<PrinterColumn> PrinterColumns);

/// <summary>One served resource (a plural inside an API group) and the versions it is served in.</summary>
internal sealed record ResourceType
{
    public required string Group { get; init; }
    public required string Plural { get; init; }
    public required string Singular { get; init; }
    public required string Kind { get; init; }
    public required string ListKind { get; init; }
    public required bool Namespaced { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public required IReadOnlyList<ResourceVersion> Versions { get; init; }
    public BuiltinKind Builtin { get; init; }

    /// <summary>Verbs served (discovery lists them); the review kinds are create-only and never stored.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = StandardVerbs;

    /// <summary>The reviews a user makes about itself (allowed to every user by the bootstrap role system:basic-user).</summary>
    public bool IsSelfReview => Builtin is BuiltinKind.SelfSubjectAccessReview or BuiltinKind.SelfSubjectRulesReview or BuiltinKind.SelfSubjectReview;

    public bool IsReview => Builtin is BuiltinKind.TokenReview or BuiltinKind.SubjectAccessReview
        or BuiltinKind.SelfSubjectAccessReview or BuiltinKind.LocalSubjectAccessReview or BuiltinKind.SelfSubjectRulesReview or BuiltinKind.SelfSubjectReview;

    /// <summary>Custom resources: no unconditional update, no strategic merge patch, generation always.</summary>
    public bool IsCustom => Builtin == BuiltinKind.None;

    /// <summary>The kind's registry strategy (validation, defaulting, server-set fields); plain data unless set.</summary>
    public Registry.ResourceStrategy Strategy { get; init; } = Registry.DataStrategy.Plain;

    /// <summary>Whether metadata.generation is maintained (the strategy says).</summary>
    public bool TracksGeneration => Strategy.TracksGeneration;

    public bool AllowsUnconditionalUpdate => Strategy.AllowUnconditionalUpdate;

    public ResourceName Name => new(Group, Plural);

    /// <summary>
    /// Storage bucket key; one per (group, plural), except for resources cross-served from another one's storage
    /// (events.k8s.io/v1 events live in the core events bucket, as in the real server).
    /// </summary>
    public string StorageKey
    {
        get
        {
            if (_storageKey is not null)
            {
                return _storageKey;
            }

            // Read on every store operation: built once, not per call. A copy made with `with` re-derives it.
            if (_derivedKey.Value is { } cached && ReferenceEquals(cached.Group, Group) && ReferenceEquals(cached.Plural, Plural))
            {
                return cached.Key;
            }

            var key = $"{Group}/{Plural}";
            _derivedKey.Value = new DerivedKey.Memo(Group, Plural, key);
            return key;
        }

        init => _storageKey = value;
    }

    private readonly string? _storageKey;
    private readonly DerivedKey _derivedKey = new();

    /// <summary>A memo that takes no part in the record's equality (every two are equal).</summary>
    private sealed class DerivedKey
    {
        // A reference, so readers on other threads see a whole memo or none.
        public Memo? Value { get; set; }

        public override bool Equals(object? obj) => obj is DerivedKey;

        public override int GetHashCode() => 0;

        public sealed record Memo(string Group, string Plural, string Key);
    }

    /// <summary>The apiVersion objects are stored in (differs from this resource's own for cross-served resources).</summary>
    public string StorageApiVersion
    {
        get => _storageApiVersion ?? ApiVersionOf(Group, StorageVersion);
        init => _storageApiVersion = value;
    }

    private readonly string? _storageApiVersion;

    public string StorageVersion => Versions.First(v => v.Storage).Name;

    /// <summary>The storage version's openAPIV3Schema (CRDs), used for pruning, defaulting and validation.</summary>
    public JsonObject? StorageSchema => Versions.First(v => v.Storage).Schema;

    /// <summary>Whether reads must apply defaults; computed once per registered type.</summary>
    public bool StorageSchemaHasDefaults => _hasDefaults ??= Schema.StructuralSchema.HasDefaults(StorageSchema);

    private bool? _hasDefaults;

    public ResourceVersion? Version(string version) => Versions.FirstOrDefault(v => v.Served && v.Name == version);

    public static string ApiVersionOf(string group, string version) => group.Length == 0 ? version : $"{group}/{version}";

    public static readonly string[] StandardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}
