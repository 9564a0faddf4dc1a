using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry.Volumes;

/// <summary>
/// What the PersistentVolumeClaim, PersistentVolume and StorageClass strategies share, as kube-apiserver v1.32 has
/// it (feature gates at their 1.32 defaults: RecoverVolumeExpansionFailure and AnyVolumeDataSource on,
/// VolumeAttributesClass off): names, value sets, quantity canonicalization and the field error helpers.
/// </summary>
internal static class VolumeRules
{
    public const string PvcProtectionFinalizer = "kubernetes.io/pvc-protection";
    public const string PvProtectionFinalizer = "kubernetes.io/pv-protection";
    public const string DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";
    public const string BetaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class";
    public const string BetaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";

    public static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
    public static readonly string[] VolumeModes = ["Block", "Filesystem"];
    public static readonly string[] PvReclaimPolicies = ["Delete", "Recycle", "Retain"];
    public static readonly string[] ClassReclaimPolicies = ["Delete", "Retain"];
    public static readonly string[] BindingModes = ["Immediate", "WaitForFirstConsumer"];

    /// <summary>
    /// The PersistentVolumeSource members in the order ValidatePersistentVolumeSpec counts them, with the path its
    /// "may not specify more than 1 volume type" error names (cephfs reports <c>cephFS</c> upstream).
    /// </summary>
    public static readonly (string Field, string ErrorPath)[] VolumeSources =
    [
        ("hostPath", "hostPath"), ("gcePersistentDisk", "gcePersistentDisk"), ("awsElasticBlockStore", "awsElasticBlockStore"),
        ("glusterfs", "glusterfs"), ("flocker", "flocker"), ("nfs", "nfs"), ("rbd", "rbd"), ("quobyte", "quobyte"),
        ("cephfs", "cephFS"), ("iscsi", "iscsi"), ("cinder", "cinder"), ("fc", "fc"), ("flexVolume", ""),
        ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"), ("photonPersistentDisk", "photonPersistentDisk"),
        ("portworxVolume", "portworxVolume"), ("azureDisk", "azureDisk"), ("scaleIO", "scaleIO"), ("local", "local"),
        ("storageos", "storageos"), ("csi", "csi"),
    ];

    public static void Canonicalize(ResourceType type, params JsonNode?[] maps)
    {
        if (!maps.All(Quantities.CanonicalizeMap))
        {
            throw ApiException.BadRequest($"{type.Kind} in version \"{type.StorageVersion}\" cannot be handled as a {type.Kind}: {Quantities.FormatError}");
        }
    }

    public static void AddFinalizer(JsonObject obj, string finalizer)
    {
        var finalizers = Meta.Finalizers(obj);
        if (!finalizers.Contains(finalizer))
        {
            Meta.SetFinalizers(obj, [.. finalizers, finalizer]);
        }
    }

    public static void ValidateAccessModes(List<string> modes, string path, List<FieldError> errors)
    {
        bool once = false, others = false;
        foreach (var mode in modes)
        {
            if (!AccessModes.Contains(mode))
            {
                errors.Add(NotSupported(path, Quote(mode), AccessModes));
            }

            if (mode == "ReadWriteOncePod")
            {
                once = true;
            }
            else if (AccessModes.Contains(mode))
            {
                others = true;
            }
        }

        if (once && others)
        {
            errors.Add(Forbidden(path, "may not use ReadWriteOncePod with other access modes"));
        }
    }

    /// <summary><c>ValidateClassName</c> (a DNS-1123 subdomain) for a non-empty class name.</summary>
    public static void ValidateClassName(JsonNode? node, string path, List<FieldError> errors)
    {
        if (Str(node) is { Length: > 0 } name)
        {
            errors.AddRange(QualifiedNames.IsDns1123Subdomain(name).Select(m => Invalid(path, Quote(name), m)));
        }
    }

    /// <summary>apimachinery's <c>ValidateImmutableField</c>.</summary>
    public static void ValidateImmutable(JsonNode? updated, JsonNode? current, string path, List<FieldError> errors)
    {
        if (!JsonNode.DeepEquals(updated, current))
        {
            errors.Add(Invalid(path, updated is null ? "null" : Render(updated), "field is immutable"));
        }
    }

    /// <summary>
    /// apiequality.Semantic.DeepEqual on JSON: absent, null, empty lists and empty maps are all the zero value, and so
    /// is an empty volumeName (a plain string field). Quantities are compared in canonical form.
    /// </summary>
    public static bool SemanticallyEqual(JsonObject a, JsonObject b) => JsonNode.DeepEquals(Normalized(a), Normalized(b));

    public static JsonNode? Normalized(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
            {
                var result = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (Normalized(value) is { } v && !(key == "volumeName" && Str(v) == ""))
                    {
                        result[key] = v;
                    }
                }

                return result.Count == 0 ? null : result;
            }

            case JsonArray a:
                return a.Count == 0 ? null : new JsonArray([.. a.Select(i => i?.DeepClone())]);
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>The <c>%#v</c> of a core.ResourceList as field errors print it (values abbreviated to their quantity).</summary>
    public static string ResourceList(JsonObject? capacity) =>
        capacity is null ? "core.ResourceList(nil)"
            : "core.ResourceList{" + string.Join(", ", capacity.Select(kv => $"{Quote(kv.Key)}:{Quote(Quantities.Text(kv.Value))}")) + "}";

    public static JsonObject Child(JsonObject obj, string key)
    {
        if (obj[key] is JsonObject child)
        {
            return child;
        }

        child = [];
        obj[key] = child;
        return child;
    }

    public static string? Annotation(JsonObject obj, string key) => Str(obj["metadata"]?["annotations"]?[key]);

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(n => Str(n) ?? n?.ToJsonString() ?? "")] : [];

    public static string Quote(string s) => StructuralSchema.Quote(s);

    public static string Render(JsonNode node) => Str(node) is { } s ? Quote(s) : node.ToJsonString();

    public static FieldError Required(string path, string detail = "") => new("FieldValueRequired", path, detail);

    public static FieldError Invalid(string path, string badValue, string detail) => new("FieldValueInvalid", path, detail, badValue);

    public static FieldError Forbidden(string path, string detail) => new("FieldValueForbidden", path, detail);

    public static FieldError NotSupported(string path, string badValue, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", path, "supported values: " + string.Join(", ", supported.Select(Quote)), badValue);
}
