using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Storage;

namespace Vers.LocalCluster.Api.Handlers;

/// <summary>GET of one object and of a list (handlers/get.go <c>GetResource</c>, <c>ListResource</c>).</summary>
internal sealed class GetHandler(ApiServices services)
{
    private static readonly byte[] Comma = ","u8.ToArray();
    private static readonly byte[] ListEnd = "]}"u8.ToArray();

    private sealed record ContinueToken(long Rv, string Ns, string Name);

    public async Task GetAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var obj = services.Store.Get(scope.Type, scope.Ns, scope.Name!) ?? throw ApiException.NotFound(scope.Type.Name, scope.Name!);
        await Responses.WriteObjectAsync(ctx, services.Tables, scope, obj, 200, ct);
    }

    public async Task ListAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var (labels, fields) = scope.Selectors(ctx);
        var q = ctx.Request.Query;
        var (items, rv) = services.Store.List(scope.Type, scope.Namespace, scope.Filter(labels, fields));
        var listRv = rv;
        if (q["continue"].ToString() is { Length: > 0 } cont)
        {
            ContinueToken token;
            try
            {
                token = JsonSerializer.Deserialize<ContinueToken>(Convert.FromBase64String(cont)) ?? throw new FormatException();
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                throw ApiException.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
            }

            listRv = token.Rv;
            items = [.. items.Where(o => string.CompareOrdinal(o.Namespace, token.Ns) > 0
                                         || (o.Namespace == token.Ns && string.CompareOrdinal(o.Name, token.Name) > 0))];
        }

        var metadata = new JsonObject { ["resourceVersion"] = listRv.ToString(CultureInfo.InvariantCulture) };
        if (int.TryParse(q["limit"].ToString(), out var limit) && limit > 0 && items.Count > limit)
        {
            var last = items[limit - 1];
            items = items[..limit];
            metadata["continue"] = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new ContinueToken(listRv, last.Namespace, last.Name)));
        }

        if (Responses.TableVersion(ctx) is { } tableVersion)
        {
            var table = services.Tables.Convert(scope.Type, scope.Version, [.. items.Select(i => scope.Out(i.ToJsonObject()))], q["includeObject"].ToString(), metadata);
            await Responses.WriteTableAsync(ctx, 200, table, tableVersion, ct);
            return;
        }

        // The list as JsonObject would write it ({"apiVersion","kind","metadata","items":[…]}), the items spliced in as stored.
        var head = new JsonObject
        {
            ["apiVersion"] = scope.ApiVersion,
            ["kind"] = scope.Type.ListKind,
            ["metadata"] = metadata,
        }.ToJsonString();
        var parts = new List<byte[]>(items.Count * 2 + 2) { Encoding.UTF8.GetBytes(head[..^1] + ",\"items\":[") };
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                parts.Add(Comma);
            }

            parts.Add(scope.OutJson(items[i]));
        }

        parts.Add(ListEnd);
        await Responses.WriteListAsync(ctx, 200, scope, parts, items, metadata, ct);
    }
}
