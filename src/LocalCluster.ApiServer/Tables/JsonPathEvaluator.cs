using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tables;

/// <summary>
/// The JSONPath subset used by printer columns: <c>.a.b</c>, <c>['a.b']</c>, <c>[n]</c>, <c>[*]</c> and filters
/// <c>[?(@.type=="Ready")]</c> / <c>[?(@.x!="y")]</c>. Returns every match in document order.
/// </summary>
internal static class JsonPathEvaluator
{
    public static List<JsonNode?> Evaluate(JsonNode root, string path)
    {
        var expr = path.Trim();
        if (expr.StartsWith('{') && expr.EndsWith('}'))
        {
            expr = expr[1..^1];
        }

        if (expr.StartsWith('$'))
        {
            expr = expr[1..];
        }

        List<JsonNode?> current = [root];
        var i = 0;
        while (i < expr.Length && current.Count > 0)
        {
            if (expr[i] == '.')
            {
                i++;
                var start = i;
                while (i < expr.Length && expr[i] != '.' && expr[i] != '[')
                {
                    i++;
                }

                var field = expr[start..i];
                if (field.Length == 0)
                {
                    continue;
                }

                current = [.. current.OfType<JsonObject>().Where(o => o.ContainsKey(field)).Select(o => o[field])];
            }
            else if (expr[i] == '[')
            {
                var end = FindClose(expr, i);
                var inner = expr[(i + 1)..end].Trim();
                i = end + 1;
                current = Bracket(current, inner);
            }
            else
            {
                return [];
            }
        }

        return current;
    }

    private static int FindClose(string expr, int open)
    {
        var depth = 0;
        var quote = '\0';
        for (var j = open; j < expr.Length; j++)
        {
            var c = expr[j];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '[')
            {
                depth++;
            }
            else if (c == ']' && --depth == 0)
            {
                return j;
            }
        }

        return expr.Length - 1;
    }

    private static List<JsonNode?> Bracket(List<JsonNode?> nodes, string inner)
    {
        if (inner == "*")
        {
            return [.. nodes.SelectMany(n => n switch
            {
                JsonArray a => a.AsEnumerable(),
                JsonObject o => o.Select(kv => kv.Value),
                _ => [],
            })];
        }

        if (inner.StartsWith('\'') || inner.StartsWith('"'))
        {
            var field = inner[1..^1];
            return [.. nodes.OfType<JsonObject>().Where(o => o.ContainsKey(field)).Select(o => o[field])];
        }

        if (inner.StartsWith("?(") && inner.EndsWith(')'))
        {
            var cond = inner[2..^1].Trim();
            var neg = cond.Contains("!=", StringComparison.Ordinal);
            var parts = cond.Split(neg ? "!=" : "==", 2);
            if (parts.Length != 2 || !parts[0].Trim().StartsWith('@'))
            {
                return [];
            }

            var left = parts[0].Trim()[1..];
            var right = parts[1].Trim().Trim('"', '\'');
            return [.. nodes.OfType<JsonArray>().SelectMany(a => a).Where(item =>
            {
                var vals = item is null ? [] : Evaluate(item, left);
                var match = vals.Count > 0 && vals[0] is JsonValue v && Text(v) == right;
                return neg ? !match : match;
            })];
        }

        if (int.TryParse(inner, out var idx))
        {
            return [.. nodes.OfType<JsonArray>().Where(a => (idx < 0 ? a.Count + idx : idx) is var k && k >= 0 && k < a.Count).Select(a => a[idx < 0 ? a.Count + idx : idx])];
        }

        return [];
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}
