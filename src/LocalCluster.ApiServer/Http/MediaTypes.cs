namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>Accept / Content-Type parsing with the exact parameter matching the apiserver does.</summary>
internal static class MediaTypes
{
    public const string Json = "application/json";
    public const string MergePatch = "application/merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string ApplyPatch = "application/apply-patch+yaml";
    public const string Yaml = "application/yaml";

    public sealed record MediaRange(string Type, IReadOnlyDictionary<string, string> Parameters)
    {
        public string? this[string key] => Parameters.GetValueOrDefault(key);
    }

    public static List<MediaRange> ParseAccept(string? header)
    {
        var result = new List<MediaRange>();
        if (string.IsNullOrWhiteSpace(header))
        {
            return result;
        }

        foreach (var part in header.Split(','))
        {
            var pieces = part.Split(';');
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in pieces.Skip(1))
            {
                var eq = p.IndexOf('=');
                if (eq > 0)
                {
                    parameters[p[..eq].Trim()] = p[(eq + 1)..].Trim().Trim('"');
                }
            }

            result.Add(new MediaRange(pieces[0].Trim().ToLowerInvariant(), parameters));
        }

        return result;
    }

    /// <summary>The bare media type of a Content-Type header (parameters such as charset dropped).</summary>
    public static string Bare(string? contentType) =>
        string.IsNullOrEmpty(contentType) ? "" : contentType.Split(';')[0].Trim().ToLowerInvariant();

    /// <summary>The version of the first Accept range asking for <paramref name="asKind"/> in group <paramref name="group"/> among <paramref name="versions"/>.</summary>
    public static string? Negotiate(string? accept, string asKind, string group, params string[] versions)
    {
        foreach (var range in ParseAccept(accept))
        {
            if (range.Type is Json or "application/*" or "*/*" && range["as"] == asKind && range["g"] == group && range["v"] is { } v && versions.Contains(v))
            {
                return v;
            }
        }

        return null;
    }
}
