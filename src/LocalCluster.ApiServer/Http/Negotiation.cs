using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>The body encodings the server writes (runtime.SerializerInfo, in the codec factory's order).</summary>
internal enum OutputFormat
{
    Json,
    Yaml,
    Protobuf,
}

/// <summary>
/// What a request's Accept header negotiated: the encoding, and the meta.k8s.io kind the object is to be turned into
/// (<c>as=Table</c>, <c>as=PartialObjectMetadata</c>, <c>as=PartialObjectMetadataList</c>), if any.
/// </summary>
internal sealed record OutputMediaType(OutputFormat Format, string? ConvertKind = null, string? ConvertGroup = null, string? ConvertVersion = null)
{
    public static readonly OutputMediaType Json = new(OutputFormat.Json);

    public string MediaType => Format switch
    {
        OutputFormat.Yaml => MediaTypes.Yaml,
        OutputFormat.Protobuf => Protobuf.KubeProtobuf.MediaType,
        _ => MediaTypes.Json,
    };

    /// <summary>The meta.k8s.io version of a Table conversion; null when no Table was asked for.</summary>
    public string? TableVersion => ConvertKind == "Table" ? ConvertVersion : null;
}

/// <summary>
/// Accept negotiation as kube-apiserver does it (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/negotiation/negotiate.go,
/// <c>NegotiateMediaTypeOptions</c> over clauses sorted by goautoneg's <c>ParseAccept</c>): the first clause, in
/// quality order, that a serializer matches (exact, <c>type/*</c> or <c>*/*</c>) with parameters the endpoint allows
/// wins; an empty header is JSON; nothing matching is 406 NotAcceptable.
/// </summary>
internal static class Negotiation
{
    /// <summary>The serializers' media types, as NotAcceptable lists them (<c>MediaTypesForSerializer</c>).</summary>
    public static readonly string[] Supported = [MediaTypes.Json, MediaTypes.Yaml, Protobuf.KubeProtobuf.MediaType];

    /// <summary>Custom resources' serializers: no protobuf (apiextensions-apiserver's CRD handler has none).</summary>
    private static readonly string[] SupportedWithoutProtobuf = [MediaTypes.Json, MediaTypes.Yaml];

    private const string MetaGroup = "meta.k8s.io";
    private const string Key = "vers.negotiated-output";

    /// <summary>Which conversions an endpoint allows (<c>EndpointRestrictions.AllowsMediaTypeTransform</c>).</summary>
    public enum Endpoint
    {
        /// <summary><c>DefaultEndpointRestrictions</c>: no conversion (errors, discovery).</summary>
        Plain,

        /// <summary>A resource endpoint (handlers/rest.go <c>RequestScope.AllowsMediaTypeTransform</c>).</summary>
        Resource,
    }

    /// <summary>
    /// The negotiated output of a resource request, computed once per request (the router passes the scope first);
    /// 406 when nothing matches. Protobuf is a choice for the kinds the codec knows, not for custom resources.
    /// </summary>
    public static OutputMediaType ForResource(HttpContext ctx, RequestScope? scope = null)
    {
        if (ctx.Items.TryGetValue(Key, out var cached) && cached is OutputMediaType known)
        {
            return known;
        }

        var protobuf = scope is null || Protobuf.KubeProtobuf.CanEncode(scope.ApiVersion, scope.Type.Kind);
        ctx.Items[ProtobufKey] = protobuf;
        var negotiated = Negotiate(ctx.Request.Headers.Accept.ToString(), Endpoint.Resource, protobuf)
                         ?? throw NotAcceptable(protobuf ? null : $"only the following media types are accepted: {string.Join(", ", SupportedWithoutProtobuf)}");
        ctx.Items[Key] = negotiated;
        return negotiated;
    }

    private const string ProtobufKey = "vers.protobuf-allowed";

    /// <summary>Whether the resource a request addressed has a protobuf serializer (true until a resource is resolved).</summary>
    public static bool ProtobufAllowed(HttpContext ctx) => ctx.Items[ProtobufKey] is not false;

    /// <summary>negotiation.NewNotAcceptableError over the serializers' media types.</summary>
    public static ApiException NotAcceptable(string? message = null) =>
        ApiException.Bare(406, "NotAcceptable", message ?? $"only the following media types are accepted: {string.Join(", ", Supported)}");

    public static OutputMediaType? Negotiate(string? accept, Endpoint endpoint, bool protobuf = true)
    {
        // Clients send the same few Accept headers again and again: the answer is computed once per header (a bounded
        // cache; parsing and sorting the clauses was 7% of a request's CPU).
        if (string.IsNullOrEmpty(accept))
        {
            return OutputMediaType.Json;
        }

        var key = (accept, endpoint, protobuf);
        if (Negotiated.TryGetValue(key, out var known))
        {
            return known;
        }

        var answer = NegotiateUncached(accept, endpoint, protobuf);
        if (Negotiated.Count < 256)
        {
            Negotiated[key] = answer;
        }

        return answer;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, Endpoint, bool), OutputMediaType?> Negotiated = new();

    private static OutputMediaType? NegotiateUncached(string accept, Endpoint endpoint, bool protobuf)
    {
        if (string.IsNullOrEmpty(accept))
        {
            return OutputMediaType.Json;
        }

        foreach (var clause in Clauses(accept))
        {
            foreach (var format in protobuf ? AllFormats : TextFormats)
            {
                var (type, subType) = format switch
                {
                    OutputFormat.Json => ("application", "json"),
                    OutputFormat.Yaml => ("application", "yaml"),
                    _ => ("application", "vnd.kubernetes.protobuf"),
                };
                var matches = (clause.Type == type && (clause.SubType == subType || clause.SubType == "*"))
                              || (clause.Type == "*" && clause.SubType == "*");
                if (matches && Options(clause.Params, format, endpoint) is { } options)
                {
                    return options;
                }
            }
        }

        return null;
    }

    private static readonly OutputFormat[] AllFormats = [OutputFormat.Json, OutputFormat.Yaml, OutputFormat.Protobuf];
    private static readonly OutputFormat[] TextFormats = [OutputFormat.Json, OutputFormat.Yaml];

    /// <summary>acceptMediaTypeOptions: the as/g/v conversion and the checks on stream and sv.</summary>
    private static OutputMediaType? Options(IReadOnlyDictionary<string, string> parameters, OutputFormat format, Endpoint endpoint)
    {
        string? kind = null, group = null, version = null;
        var convert = false;
        foreach (var (k, v) in parameters)
        {
            switch (k)
            {
                case "as":
                    (kind, convert) = (v, true);
                    break;
                case "g":
                    (group, convert) = (v, true);
                    break;
                case "v":
                    (version, convert) = (v, true);
                    break;

                // JSON and protobuf have stream serializers and "watch" is the one stream schema; YAML has none.
                case "stream" when v.Length > 0 && (format == OutputFormat.Yaml || v != "watch"):
                    return null;

                // AllowsServerVersion: the meta group version the scope serves, "v1".
                case "sv" when v.Length > 0 && v != "v1":
                    return null;
            }
        }

        if (!convert)
        {
            return new OutputMediaType(format);
        }

        // Tables and PartialObjectMetadata are served as JSON or YAML here; a protobuf-first metadata client falls through to JSON.
        if (format == OutputFormat.Protobuf)
        {
            return null;
        }

        group ??= "";
        version ??= "";
        kind ??= "";
        var allowed = endpoint == Endpoint.Resource && group == MetaGroup && version is "v1" or "v1beta1" && kind switch
        {
            "Table" => true,
            "PartialObjectMetadata" or "PartialObjectMetadataList" => true,
            _ => false,
        };
        return allowed ? new OutputMediaType(format, kind, group, version) : null;
    }

    private sealed record Clause(string Type, string SubType, double Q, IReadOnlyDictionary<string, string> Params);

    /// <summary>
    /// goautoneg.ParseAccept: media ranges with their parameters (q apart), malformed ranges dropped, sorted by
    /// quality, then concrete types before wildcards (stably, as its insertion sort keeps short headers).
    /// </summary>
    private static List<Clause> Clauses(string header)
    {
        var clauses = new List<Clause>();
        foreach (var part in header.Split(','))
        {
            var pieces = part.Trim().Split(';');
            var range = pieces[0].Split('/');
            var type = range[0].Trim();
            string subType;
            if (range.Length == 1 && type == "*")
            {
                subType = "*";
            }
            else if (range.Length == 2)
            {
                subType = range[1].Trim();
            }
            else
            {
                continue;
            }

            var q = 1.0;
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in pieces.Skip(1))
            {
                var kv = p.Split('=', 2);
                if (kv.Length != 2)
                {
                    continue;
                }

                var token = kv[0].Trim();
                if (token == "q")
                {
                    q = double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
                }
                else
                {
                    parameters[token] = kv[1].Trim();
                }
            }

            clauses.Add(new Clause(type, subType, q, parameters));
        }

        return [.. clauses.OrderByDescending(c => c.Q).ThenBy(c => c.Type == "*").ThenBy(c => c.SubType == "*")];
    }
}
