using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Patching;

/// <summary>How server-side apply merges a list (<c>x-kubernetes-list-type</c>).</summary>
internal enum ListType
{
    Atomic,
    Set,
    Map,
}

/// <summary>
/// The typing server-side apply needs at one node of an object: whether a map is granular or atomic, which map keys
/// are declared struct fields, and how lists merge. Custom resources read it from the CRD's structural schema
/// (<c>x-kubernetes-list-type</c>, <c>x-kubernetes-list-map-keys</c>, <c>x-kubernetes-map-type</c>); untyped subtrees
/// (<c>x-kubernetes-preserve-unknown-fields</c>) are "deduced" as the real server does (maps granular, lists atomic).
/// Built-ins we store as data have no schema here, so they follow the list types their Go types declare, by field
/// name (containers by name, conditions by type, ports by port and protocol, finalizers as a set, ...).
/// </summary>
internal sealed class FieldType
{
    private static readonly FieldType Deduced = new(null, BuiltinKind.None, "", "", deduced: true);

    /// <summary>Free-form <c>map[string]...</c> fields of the built-in types: their keys are not struct fields.</summary>
    private static readonly HashSet<string> FreeFormMaps =
        ["labels", "annotations", "data", "stringData", "binaryData", "matchLabels", "nodeSelector", "limits", "requests", "capacity", "allocatable", "overhead",
         "parameters", "volumeAttributes", "allocatedResources", "allocatedResourceStatuses"];

    private readonly JsonObject? _schema;
    private readonly BuiltinKind _builtin;
    private readonly string _field;
    private readonly string _parent;
    private readonly bool _deduced;
    private readonly bool _objectMeta;

    private FieldType(JsonObject? schema, BuiltinKind builtin, string field, string parent, bool deduced = false, bool objectMeta = false)
    {
        _schema = schema;
        _builtin = builtin;
        _field = field;
        _parent = parent;
        _deduced = deduced;
        _objectMeta = objectMeta;
    }

    public static FieldType Root(ResourceType type) =>
        type.IsCustom ? new FieldType(type.StorageSchema ?? new JsonObject { ["x-kubernetes-preserve-unknown-fields"] = true }, type.Builtin, "", "")
                      : new FieldType(null, type.Builtin, "", "");

    private bool IsRoot => _field.Length == 0 && _parent.Length == 0 && !_deduced;

    /// <summary>The type of a map entry.</summary>
    public FieldType Field(string name)
    {
        if (_deduced)
        {
            return Deduced;
        }

        if (IsRoot && name == "metadata")
        {
            // ObjectMeta is typed by the server, whatever the CRD says.
            return new FieldType(null, _builtin, "metadata", "", objectMeta: true);
        }

        if (_schema is not null)
        {
            if (_schema["properties"]?[name] is JsonObject p)
            {
                return new FieldType(p, _builtin, name, _field);
            }

            if (_schema["additionalProperties"] is JsonObject a)
            {
                return new FieldType(a, _builtin, name, _field);
            }

            return Deduced;
        }

        return new FieldType(null, _builtin, name, _field, objectMeta: _objectMeta && _field == "metadata" && name == "ownerReferences");
    }

    /// <summary>The type of a list's items.</summary>
    public FieldType Items()
    {
        if (_deduced)
        {
            return Deduced;
        }

        if (_schema is not null)
        {
            return _schema["items"] is JsonObject i ? new FieldType(i, _builtin, _field, _parent) : Deduced;
        }

        return new FieldType(null, _builtin, _field, _parent);
    }

    /// <summary>Whether <paramref name="name"/> is a declared struct field here (as opposed to a free-form map key).</summary>
    public bool IsDeclared(string name)
    {
        if (_deduced)
        {
            return false;
        }

        if (IsRoot)
        {
            return true;
        }

        if (_schema is not null)
        {
            return _schema["properties"]?[name] is not null;
        }

        return !FreeFormMaps.Contains(_field) && !(_field == "selector" && _builtin == BuiltinKind.Service);
    }

    public bool AtomicMap => _schema?["x-kubernetes-map-type"]?.ToString() == "atomic";

    public ListType ListType
    {
        get
        {
            if (_deduced)
            {
                return ListType.Atomic;
            }

            if (_schema is not null)
            {
                return _schema["x-kubernetes-list-type"]?.ToString() switch
                {
                    "set" => ListType.Set,
                    "map" => ListType.Map,
                    _ => ListType.Atomic,
                };
            }

            if (_field == "finalizers" && _parent == "metadata")
            {
                return ListType.Set;
            }

            return BuiltinKeys().Count > 0 ? ListType.Map : ListType.Atomic;
        }
    }

    /// <summary>The associative key of a list-map item, with key fields sorted by name; null when a key is missing.</summary>
    public JsonObject? KeyOf(JsonNode? item)
    {
        if (item is not JsonObject o)
        {
            return null;
        }

        var keys = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, fallback) in Keys())
        {
            var value = o[name] ?? fallback;
            if (value is null)
            {
                return null;
            }

            keys[name] = value.DeepClone();
        }

        return keys.Count == 0 ? null : new JsonObject([.. keys]);
    }

    private List<(string Name, JsonNode? Default)> Keys()
    {
        if (_schema is not null)
        {
            var items = _schema["items"] as JsonObject;
            return [.. (_schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(k => k?.ToString() ?? "")
                .Select(k => (k, items?["properties"]?[k]?["default"]?.DeepClone()))];
        }

        return BuiltinKeys();
    }

    /// <summary>The list-map keys the Kubernetes Go types declare (<c>+listType=map</c>, <c>+listMapKey</c>) for the fields we serve.</summary>
    private List<(string Name, JsonNode? Default)> BuiltinKeys()
    {
        switch (_field)
        {
            case "containers" or "initContainers" or "ephemeralContainers" or "env" or "volumes" or "imagePullSecrets":
                return [("name", null)];
            case "volumeMounts":
                return [("mountPath", null)];
            case "volumeDevices":
                return [("devicePath", null)];
            case "conditions":
                return [("type", null)];
            case "hostAliases":
                return [("ip", null)];
            case "ownerReferences" when _objectMeta:
                return [("uid", null)];
            case "topologySpreadConstraints":
                return [("topologyKey", null), ("whenUnsatisfiable", null)];
            case "ports" when _parent is "containers" or "initContainers" or "ephemeralContainers":
                return [("containerPort", null), ("protocol", "TCP")];
            case "ports" when _parent == "spec" && _builtin == BuiltinKind.Service:
                return [("port", null), ("protocol", "TCP")];
            default:
                return [];
        }
    }
}
