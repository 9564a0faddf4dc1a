using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Selectors;

/// <summary>Field selectors (<c>a=b,c!=d</c>) over the per-kind field sets the real apiserver supports.</summary>
internal sealed class FieldSelector
{
    private sealed record Requirement(string Field, bool Negate, string Value);

    private readonly List<Requirement> _requirements;

    private FieldSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly FieldSelector Everything = new([]);

    public static FieldSelector Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var reqs = new List<Requirement>();
        foreach (var part in text.Split(','))
        {
            string field, value;
            bool negate;
            var ne = part.IndexOf("!=", StringComparison.Ordinal);
            var eqeq = part.IndexOf("==", StringComparison.Ordinal);
            var eq = part.IndexOf('=');
            if (ne >= 0)
            {
                (field, value, negate) = (part[..ne], part[(ne + 2)..], true);
            }
            else if (eqeq >= 0)
            {
                (field, value, negate) = (part[..eqeq], part[(eqeq + 2)..], false);
            }
            else if (eq >= 0)
            {
                (field, value, negate) = (part[..eq], part[(eq + 1)..], false);
            }
            else
            {
                throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            }

            field = field.Trim();
            if (!Supported(type, field))
            {
                throw ApiException.BadRequest($"field label not supported: {field}");
            }

            reqs.Add(new Requirement(field, negate, value.Trim()));
        }

        return new FieldSelector(reqs);
    }

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>The value an equality requirement on <paramref name="field"/> demands, if any (fields.Selector <c>RequiresExactMatch</c>).</summary>
    public string? RequiresExactMatch(string field) => _requirements.FirstOrDefault(r => r.Field == field && !r.Negate)?.Value;

    /// <summary>The single <c>metadata.name=x</c> requirement, if that is what the selector is (kubectl wait/delete).</summary>
    public bool Matches(JsonObject obj)
    {
        foreach (var r in _requirements)
        {
            var actual = Value(obj, r.Field);
            if ((actual == r.Value) == r.Negate)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Name and namespace come from the extracted metadata; other fields parse the object (once).</summary>
    public bool Matches(Storage.StoredObject obj)
    {
        JsonObject? tree = null;
        foreach (var r in _requirements)
        {
            var actual = r.Field switch
            {
                "metadata.name" or "name" => obj.Name,
                "metadata.namespace" => obj.Namespace,
                _ => Value(tree ??= obj.ToJsonObject(), r.Field),
            };
            if ((actual == r.Value) == r.Negate)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Supported(ResourceType type, string field)
    {
        if (field is "metadata.name" or "metadata.namespace")
        {
            return true;
        }

        return type.Builtin switch
        {
            BuiltinKind.Namespace => field == "status.phase",
            BuiltinKind.Secret => field == "type",
            // "This is a bug, but we need to support it for backward compatibility" (PersistentVolume(Claim)ToSelectableFields).
            BuiltinKind.PersistentVolumeClaim or BuiltinKind.PersistentVolume => field == "name",
            // events.k8s.io is served from the core storage, so it selects on the same (core) fields.
            BuiltinKind.CoreEvent or BuiltinKind.EventsV1Event => field is "involvedObject.kind" or "involvedObject.namespace" or "involvedObject.name"
                or "involvedObject.uid" or "involvedObject.apiVersion" or "involvedObject.resourceVersion"
                or "involvedObject.fieldPath" or "reason" or "reportingComponent" or "source" or "type",
            _ => false,
        };
    }

    private static string Value(JsonObject obj, string field)
    {
        JsonNode? node = field switch
        {
            "source" => obj["source"]?["component"],
            "name" => obj["metadata"]?["name"],
            "metadata.namespace" => obj["metadata"]?["namespace"] ?? JsonValue.Create(""),
            _ => Navigate(obj, field),
        };
        return node is JsonValue v ? v.ToString() : "";
    }

    private static JsonNode? Navigate(JsonObject obj, string path)
    {
        JsonNode? cur = obj;
        foreach (var seg in path.Split('.'))
        {
            cur = (cur as JsonObject)?[seg];
        }

        return cur;
    }
}
