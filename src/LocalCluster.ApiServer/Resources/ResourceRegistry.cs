using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Registry;
using Vers.LocalCluster.ApiServer.Registry.ApiExtensions;
using Vers.LocalCluster.ApiServer.Registry.Apps;
using Vers.LocalCluster.ApiServer.Registry.Coordination;
using Vers.LocalCluster.ApiServer.Registry.Core;
using Vers.LocalCluster.ApiServer.Registry.Events;
using Vers.LocalCluster.ApiServer.Registry.Networking;
using Vers.LocalCluster.ApiServer.Registry.Policy;
using Vers.LocalCluster.ApiServer.Registry.Rbac;
using Vers.LocalCluster.ApiServer.Registry.Volumes;

namespace Vers.LocalCluster.ApiServer.Resources;

/// <summary>
/// The set of served resources: fixed built-ins plus one entry per established CRD.
/// Readers see an immutable snapshot, so discovery and request routing never lock.
/// </summary>
internal sealed class ResourceRegistry
{
    private ImmutableDictionary<string, ResourceType> _custom = ImmutableDictionary<string, ResourceType>.Empty;

    // The resource that owns each built-in bucket; the first one listed wins for cross-served buckets.
    private readonly Dictionary<string, ResourceType> _builtinsByStorageKey = [];

    public ResourceRegistry()
    {
        Builtins = CreateBuiltins();
        foreach (var type in Builtins)
        {
            _builtinsByStorageKey.TryAdd(type.StorageKey, type);
        }
    }

    public IReadOnlyList<ResourceType> Builtins { get; }

    /// <summary>All served resources, built-ins first, then CRDs ordered by group and plural.</summary>
    public IReadOnlyList<ResourceType> All =>
        [.. Builtins, .. _custom.Values.OrderBy(t => t.Group, StringComparer.Ordinal).ThenBy(t => t.Plural, StringComparer.Ordinal)];

    public ResourceType? Find(string group, string version, string plural)
    {
        var type = Builtins.FirstOrDefault(t => t.Group == group && t.Plural == plural)
                   ?? _custom.GetValueOrDefault($"{group}/{plural}");
        return type?.Version(version) is null ? null : type;
    }

    /// <summary>The resource that owns a storage bucket (the core one for cross-served buckets: it comes first).</summary>
    public ResourceType? FindByStorageKey(string storageKey) =>
        _builtinsByStorageKey.GetValueOrDefault(storageKey) ?? _custom.GetValueOrDefault(storageKey);

    public ResourceType Namespaces => Builtins[0];

    public ResourceType Crds => Builtins.First(t => t.Builtin == BuiltinKind.CustomResourceDefinition);

    public ResourceType StorageClasses => Builtins.First(t => t.Builtin == BuiltinKind.StorageClass);

    public void Register(ResourceType type) => ImmutableInterlocked.Update(ref _custom, d => d.SetItem(type.StorageKey, type));

    public void Unregister(string storageKey) => ImmutableInterlocked.Update(ref _custom, d => d.Remove(storageKey));

    /// <summary>Builds the served type for a CRD object (already validated).</summary>
    public static ResourceType FromCrd(JsonObject crd)
    {
        var spec = crd["spec"]!.AsObject();
        var names = spec["names"]!.AsObject();
        var kind = names["kind"]!.GetValue<string>();
        var versions = new List<ResourceVersion>();
        foreach (var v in spec["versions"]!.AsArray())
        {
            var vo = v!.AsObject();
            var columns = new List<PrinterColumn>();
            if (vo["additionalPrinterColumns"] is JsonArray cols)
            {
                foreach (var c in cols.OfType<JsonObject>())
                {
                    columns.Add(new PrinterColumn(
                        c["name"]?.GetValue<string>() ?? "",
                        c["type"]?.GetValue<string>() ?? "string",
                        c["format"]?.GetValue<string>(),
                        c["description"]?.GetValue<string>() ?? "",
                        c["priority"]?.GetValue<int>() ?? 0,
                        c["jsonPath"]?.GetValue<string>() ?? ""));
                }
            }

            versions.Add(new ResourceVersion(
                vo["name"]!.GetValue<string>(),
                vo["served"]?.GetValue<bool>() ?? false,
                vo["storage"]?.GetValue<bool>() ?? false,
                vo["subresources"]?["status"] is JsonObject,
                vo["schema"]?["openAPIV3Schema"]?.DeepClone().AsObject(),
                columns));
        }

        return new ResourceType
        {
            Group = spec["group"]!.GetValue<string>(),
            Plural = names["plural"]!.GetValue<string>(),
            Singular = names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant(),
            Kind = kind,
            ListKind = names["listKind"]?.GetValue<string>() ?? kind + "List",
            Namespaced = spec["scope"]?.GetValue<string>() != "Cluster",
            ShortNames = Strings(names["shortNames"]),
            Categories = Strings(names["categories"]),
            Versions = versions,
            Strategy = CustomResourceStrategy.Instance,
        };
    }

    private static string[] Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];

    private static ResourceType[] CreateBuiltins()
    {
        static ResourceVersion V(string name, bool status = false) => new(name, true, true, status, null, []);
        return
        [
            new() { Group = "", Plural = "namespaces", Singular = "namespace", Kind = "Namespace", ListKind = "NamespaceList", Namespaced = false, ShortNames = ["ns"], Versions = [V("v1", status: true)], Builtin = BuiltinKind.Namespace, Strategy = new NamespaceStrategy() },
            new() { Group = "", Plural = "configmaps", Singular = "configmap", Kind = "ConfigMap", ListKind = "ConfigMapList", Namespaced = true, ShortNames = ["cm"], Versions = [V("v1")], Builtin = BuiltinKind.ConfigMap, Strategy = new ConfigMapStrategy() },
            new() { Group = "", Plural = "secrets", Singular = "secret", Kind = "Secret", ListKind = "SecretList", Namespaced = true, Versions = [V("v1")], Builtin = BuiltinKind.Secret, Strategy = new SecretStrategy() },
            new() { Group = "", Plural = "serviceaccounts", Singular = "serviceaccount", Kind = "ServiceAccount", ListKind = "ServiceAccountList", Namespaced = true, ShortNames = ["sa"], Versions = [V("v1")], Builtin = BuiltinKind.ServiceAccount, Strategy = new TypedDataStrategy(typeof(k8s.Models.V1ServiceAccount)) },
            new() { Group = "", Plural = "events", Singular = "event", Kind = "Event", ListKind = "EventList", Namespaced = true, ShortNames = ["ev"], Versions = [V("v1")], Builtin = BuiltinKind.CoreEvent, Strategy = new EventStrategy() },
            new() { Group = "coordination.k8s.io", Plural = "leases", Singular = "lease", Kind = "Lease", ListKind = "LeaseList", Namespaced = true, Versions = [V("v1")], Builtin = BuiltinKind.Lease, Strategy = new LeaseStrategy() },
            new() { Group = "events.k8s.io", Plural = "events", Singular = "event", Kind = "Event", ListKind = "EventList", Namespaced = true, ShortNames = ["ev"], Versions = [V("v1")], Builtin = BuiltinKind.EventsV1Event, Strategy = new EventsV1Strategy(), StorageKey = "/events", StorageApiVersion = "v1" },
            new() { Group = "", Plural = "services", Singular = "service", Kind = "Service", ListKind = "ServiceList", Namespaced = true, ShortNames = ["svc"], Categories = ["all"], Versions = [V("v1", status: true)], Builtin = BuiltinKind.Service, Strategy = new ServiceStrategy() },
new() { Group = "apps", Plural = "deployments", Singular = "deployment", Kind = "Deployment", ListKind = "DeploymentList", Namespaced = true, ShortNames = ["deploy"], Categories = ["all"], Versions = [V("v1", status: true)], Builtin = BuiltinKind.Deployment, Strategy = new DeploymentStrategy() },
            new() { Group = "policy", Plural = "poddisruptionbudgets", Singular = "poddisruptionbudget", Kind = "PodDisruptionBudget", ListKind = "PodDisruptionBudgetList", Namespaced = true, ShortNames = ["pdb"], Versions = [V("v1", status: true)], Builtin = BuiltinKind.PodDisruptionBudget, Strategy = new PodDisruptionBudgetStrategy() },
            new() { Group = "networking.k8s.io", Plural = "networkpolicies", Singular = "networkpolicy", Kind = "NetworkPolicy", ListKind = "NetworkPolicyList", Namespaced = true, ShortNames = ["netpol"], Versions = [V("v1")], Builtin = BuiltinKind.NetworkPolicy, Strategy = new NetworkPolicyStrategy() },
            new() { Group = "rbac.authorization.k8s.io", Plural = "roles", Singular = "role", Kind = "Role", ListKind = "RoleList", Namespaced = true, Versions = [V("v1")], Builtin = BuiltinKind.Role, Strategy = new RoleStrategy(cluster: false) },
            new() { Group = "rbac.authorization.k8s.io", Plural = "clusterroles", Singular = "clusterrole", Kind = "ClusterRole", ListKind = "ClusterRoleList", Namespaced = false, Versions = [V("v1")], Builtin = BuiltinKind.ClusterRole, Strategy = new RoleStrategy(cluster: true) },
            new() { Group = "rbac.authorization.k8s.io", Plural = "rolebindings", Singular = "rolebinding", Kind = "RoleBinding", ListKind = "RoleBindingList", Namespaced = true, Versions = [V("v1")], Builtin = BuiltinKind.RoleBinding, Strategy = new RoleBindingStrategy(cluster: false) },
            new() { Group = "rbac.authorization.k8s.io", Plural = "clusterrolebindings", Singular = "clusterrolebinding", Kind = "ClusterRoleBinding", ListKind = "ClusterRoleBindingList", Namespaced = false, Versions = [V("v1")], Builtin = BuiltinKind.ClusterRoleBinding, Strategy = new RoleBindingStrategy(cluster: true) },
            new() { Group = "", Plural = "persistentvolumeclaims", Singular = "persistentvolumeclaim", Kind = "PersistentVolumeClaim", ListKind = "PersistentVolumeClaimList", Namespaced = true, ShortNames = ["pvc"], Versions = [V("v1", status: true)], Builtin = BuiltinKind.PersistentVolumeClaim, Strategy = new PersistentVolumeClaimStrategy() },
            new() { Group = "", Plural = "persistentvolumes", Singular = "persistentvolume", Kind = "PersistentVolume", ListKind = "PersistentVolumeList", Namespaced = false, ShortNames = ["pv"], Versions = [V("v1", status: true)], Builtin = BuiltinKind.PersistentVolume, Strategy = new PersistentVolumeStrategy() },
            new() { Group = "storage.k8s.io", Plural = "storageclasses", Singular = "storageclass", Kind = "StorageClass", ListKind = "StorageClassList", Namespaced = false, ShortNames = ["sc"], Versions = [V("v1")], Builtin = BuiltinKind.StorageClass, Strategy = new StorageClassStrategy() },
            new() { Group = "authentication.k8s.io", Plural = "selfsubjectreviews", Singular = "selfsubjectreview", Kind = "SelfSubjectReview", ListKind = "SelfSubjectReviewList", Namespaced = false, Versions = [V("v1")], Builtin = BuiltinKind.SelfSubjectReview, Verbs = ["create"] },
            new() { Group = "authentication.k8s.io", Plural = "tokenreviews", Singular = "tokenreview", Kind = "TokenReview", ListKind = "TokenReviewList", Namespaced = false, Versions = [V("v1")], Builtin = BuiltinKind.TokenReview, Verbs = ["create"] },
            new() { Group = "authorization.k8s.io", Plural = "subjectaccessreviews", Singular = "subjectaccessreview", Kind = "SubjectAccessReview", ListKind = "SubjectAccessReviewList", Namespaced = false, Versions = [V("v1")], Builtin = BuiltinKind.SubjectAccessReview, Verbs = ["create"] },
            new() { Group = "authorization.k8s.io", Plural = "selfsubjectaccessreviews", Singular = "selfsubjectaccessreview", Kind = "SelfSubjectAccessReview", ListKind = "SelfSubjectAccessReviewList", Namespaced = false, Versions = [V("v1")], Builtin = BuiltinKind.SelfSubjectAccessReview, Verbs = ["create"] },
            new() { Group = "authorization.k8s.io", Plural = "selfsubjectrulesreviews", Singular = "selfsubjectrulesreview", Kind = "SelfSubjectRulesReview", ListKind = "SelfSubjectRulesReviewList", Namespaced = false, Versions = [V("v1")], Builtin = BuiltinKind.SelfSubjectRulesReview, Verbs = ["create"] },
            new() { Group = "authorization.k8s.io", Plural = "localsubjectaccessreviews", Singular = "localsubjectaccessreview", Kind = "LocalSubjectAccessReview", ListKind = "LocalSubjectAccessReviewList", Namespaced = true, Versions = [V("v1")], Builtin = BuiltinKind.LocalSubjectAccessReview, Verbs = ["create"] },
            new() { Group = "apiextensions.k8s.io", Plural = "customresourcedefinitions", Singular = "customresourcedefinition", Kind = "CustomResourceDefinition", ListKind = "CustomResourceDefinitionList", Namespaced = false, ShortNames = ["crd", "crds"], Categories = ["api-extensions"], Versions = [V("v1", status: true)], Builtin = BuiltinKind.CustomResourceDefinition, Strategy = new CustomResourceDefinitionStrategy() },
        ];
    }
}
