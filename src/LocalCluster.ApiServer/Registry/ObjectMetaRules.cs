using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// ObjectMeta validation every kind gets: staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go
/// (validateObjectMetaAccessorWithOptsCommon: labels, annotations and their 256 KiB total, ownerReferences,
/// finalizers) with meta/v1/validation ValidateLabels, plus the core group's stricter finalizer names
/// (pkg/apis/core/validation validateKubeFinalizerName) and generateName (the kind's name rule on the prefix).
/// </summary>
internal static partial class ObjectMetaRules
{
    public const int TotalAnnotationSizeLimit = 256 * (1 << 10);

    private static readonly HashSet<string> StandardFinalizers = ["kubernetes", "orphan", "foregroundDeletion"];

    /// <summary>What rest.BeforeCreate/BeforeUpdate check of every object after its strategy's validation passed.</summary>
    public static List<FieldError> Validate(JsonObject obj)
    {
        var errors = new List<FieldError>();
        if (obj["metadata"] is not JsonObject meta)
        {
            return errors;
        }

        if (meta["labels"] is JsonObject labels)
        {
            Labels(labels, "metadata.labels", errors);
        }

        if (meta["annotations"] is JsonObject annotations)
        {
            Annotations(annotations, errors);
        }

        if (meta["ownerReferences"] is JsonArray owners)
        {
            OwnerReferences(owners, errors);
        }

        if (meta["finalizers"] is JsonArray finalizers)
        {
            Finalizers(finalizers, errors);
        }

        return errors;
    }

    /// <summary>The core group's ValidateObjectMeta: the generic rules, then finalizer names without a domain must be standard ones.</summary>
    public static List<FieldError> ValidateCore(JsonObject obj)
    {
        var errors = Validate(obj);
        var i = 0;
        foreach (var finalizer in Meta.Finalizers(obj))
        {
            if (!finalizer.Contains('/', StringComparison.Ordinal) && !StandardFinalizers.Contains(finalizer))
            {
                errors.Add(Invalid($"metadata.finalizers[{i}]", finalizer, "name is neither a standard finalizer name nor is it fully qualified"));
            }

            i++;
        }

        return errors;
    }

    /// <summary>metav1validation.ValidateLabels: qualified-name keys and label values, errors at the map's path.</summary>
    public static void Labels(JsonObject labels, string path, List<FieldError> errors)
    {
        foreach (var (key, value) in labels)
        {
            errors.AddRange(QualifiedNames.IsQualifiedName(key).Select(m => Invalid(path, key, m)));
            var text = value?.ToString() ?? "";
            errors.AddRange(LabelValue(text).Select(m => Invalid(path, text, m)));
        }
    }

    /// <summary>validation.IsValidLabelValue.</summary>
    public static IEnumerable<string> LabelValue(string value)
    {
        if (value.Length > 63)
        {
            yield return "must be no more than 63 characters";
        }

        if (!LabelValuePattern().IsMatch(value))
        {
            yield return QualifiedNames.RegexError(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", "MyValue", "my_value", "12345");
        }
    }

    private static void Annotations(JsonObject annotations, List<FieldError> errors)
    {
        long size = 0;
        foreach (var (key, value) in annotations)
        {
            // Keys are qualified names except that case does not matter.
            errors.AddRange(QualifiedNames.IsQualifiedName(key.ToLowerInvariant()).Select(m => Invalid("metadata.annotations", key, m)));
            size += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value?.ToString() ?? "");
        }

        if (size > TotalAnnotationSizeLimit)
        {
            errors.Add(new FieldError("FieldValueTooLong", "metadata.annotations", $"must have at most {TotalAnnotationSizeLimit} bytes"));
        }
    }

    private static void OwnerReferences(JsonArray owners, List<FieldError> errors)
    {
        const string path = "metadata.ownerReferences";
        string? controller = null;
        foreach (var owner in owners.OfType<JsonObject>())
        {
            var apiVersion = Str(owner, "apiVersion");
            var kind = Str(owner, "kind");
            var (group, version) = GroupVersion(apiVersion);
            if (version.Length == 0)
            {
                errors.Add(Invalid(path + ".apiVersion", apiVersion, "version must not be empty"));
            }

            foreach (var (field, value) in (ReadOnlySpan<(string, string)>)[("kind", kind), ("name", Str(owner, "name")), ("uid", Str(owner, "uid"))])
            {
                if (value.Length == 0)
                {
                    errors.Add(Invalid($"{path}.{field}", value, "must not be empty"));
                }
            }

            if (group.Length == 0 && version == "v1" && kind == "Event")
            {
                errors.Add(new FieldError("FieldValueInvalid", path, "/v1, Kind=Event is disallowed from being an owner", GoOwnerReference(owner)));
            }

            if (owner["controller"] is JsonValue c && c.TryGetValue<bool>(out var isController) && isController)
            {
                var current = $"{kind}/{Str(owner, "name")}";
                if (controller is null)
                {
                    controller = current;
                }
                else
                {
                    errors.Add(new FieldError("FieldValueInvalid", path,
                        $"Only one reference can have Controller set to true. Found \"true\" in references for {controller} and {current}",
                        "[]v1.OwnerReference{" + string.Join(", ", owners.OfType<JsonObject>().Select(GoOwnerReference)) + "}"));
                }
            }
        }
    }

    /// <summary>ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion.</summary>
    private static void Finalizers(JsonArray finalizers, List<FieldError> errors)
    {
        var names = finalizers.Select(f => f?.ToString() ?? "").ToList();
        foreach (var name in names)
        {
            errors.AddRange(QualifiedNames.IsQualifiedName(name).Select(m => Invalid("metadata.finalizers", name, m)));
        }

        if (names.Contains("orphan") && names.Contains("foregroundDeletion"))
        {
            errors.Add(new FieldError("FieldValueInvalid", "metadata.finalizers", "finalizer orphan and foregroundDeletion cannot be both set",
                "[]string{" + string.Join(", ", names.Select(StructuralSchema.Quote)) + "}"));
        }
    }

    /// <summary>
    /// metadata.generateName checked with the kind's name rule as a prefix (apimachinery's maskTrailingDash: a
    /// trailing dash is fine, the random suffix follows it).
    /// </summary>
    public static IEnumerable<FieldError> GenerateName(string generateName, Func<string, IEnumerable<FieldError>> nameRule)
    {
        var masked = generateName.Length > 1 && generateName.EndsWith('-') ? generateName[..^2] + "a" : generateName;
        return nameRule(masked).Select(e => e with { Field = "metadata.generateName", BadValue = StructuralSchema.Quote(generateName) });
    }

    /// <summary>schema.ParseGroupVersion: "" and "v1" are legacy, "g/v" has a group, anything else is empty.</summary>
    private static (string Group, string Version) GroupVersion(string apiVersion)
    {
        var parts = apiVersion.Split('/');
        return parts.Length switch
        {
            1 => ("", parts[0]),
            2 => (parts[0], parts[1]),
            _ => ("", ""),
        };
    }

    /// <summary>An owner reference as Go's %#v prints a v1.OwnerReference.</summary>
    private static string GoOwnerReference(JsonObject o) =>
        $"v1.OwnerReference{{APIVersion:{Q(Str(o, "apiVersion"))}, Kind:{Q(Str(o, "kind"))}, Name:{Q(Str(o, "name"))}, UID:{Q(Str(o, "uid"))}, "
        + $"Controller:{GoBool(o["controller"])}, BlockOwnerDeletion:{GoBool(o["blockOwnerDeletion"])}}}";

    private static string GoBool(JsonNode? n) => n is null ? "(*bool)(nil)" : "(*bool)(0x0)";

    private static string Str(JsonObject o, string key) => o[key]?.ToString() ?? "";

    private static string Q(string s) => StructuralSchema.Quote(s);

    public static FieldError Invalid(string path, string value, string detail) => new("FieldValueInvalid", path, detail, Q(value));

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValuePattern();
}
