using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>
/// GET of one object and of a list (handlers/get.go <c>GetResource</c>, <c>ListResource</c>), with the
/// resourceVersion semantics of the watch cache (cacher.go <c>Get</c>, <c>GetList</c>) and of etcd for exact and
/// paged reads (etcd3/store.go <c>GetList</c>).
/// </summary>
internal sealed class GetHandler(ApiServices services)
{
    private static readonly byte[] Comma = ","u8.ToArray();
    private static readonly byte[] ListEnd = "]}"u8.ToArray();

    // etcd3/errors.go: the messages of a read at a compacted revision.
    private const string ListExpired = "The resourceVersion for the provided list is too old.";
    private const string InconsistentContinue = "The provided continue parameter is too old to display a consistent list result. "
        + "You can start a new list without the continue parameter, or use the continue token in this response to retrieve the "
        + "remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were "
        + "created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    /// <summary>What etcd answers a read at a revision it has not reached; no interpreter maps it, so it is a 500 without a reason.</summary>
    private static ApiException FutureRevision() => ApiException.Bare(500, "", "etcdserver: mvcc: required revision is a future revision");

    /// <summary>A set resourceVersion is served by the watch cache: not older than it, after waiting for it at most 3 s (cacher.go <c>Get</c>).</summary>
    public async Task GetAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var rv = ListOptions.ParseResourceVersion(ctx.Request.Query["resourceVersion"].ToString());
        if (rv > 0)
        {
            await services.Store.WaitUntilFreshAsync(rv, ct);
        }

        var obj = services.Store.Get(scope.Type, scope.Ns, scope.Name!) ?? throw ApiException.NotFound(scope.Type.Name, scope.Name!);
        await Responses.WriteObjectAsync(ctx, services.Tables, scope, obj, 200, ct);
    }

    public async Task ListAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var options = ListOptions.From(ctx.Request.Query, watch: false);
        var (labels, fields) = scope.Selectors(ctx);
        var filter = scope.Filter(labels, fields);
        var acrossNamespaces = scope.Namespace is null && scope.Type.Namespaced;
        if (await ReadAsync(ctx, scope, options, ct) is not { } read)
        {
            return;
        }

        var (all, listRv, start, limit) = read;

        // etcd3 store.go GetList / cacher.go GetList: fill the page from the start key, filtering as it goes; there
        // are more when any object (selected or not) follows the one that filled it.
        var first = start is null ? 0 : FirstAtOrAfter(all, acrossNamespaces, start);
        var items = new List<StoredObject>();
        var hasMore = false;
        for (var i = first; i < all.Count; i++)
        {
            if (limit > 0 && items.Count >= limit)
            {
                hasMore = true;
                break;
            }

            if (filter(all[i]))
            {
                items.Add(all[i]);
            }
        }

        var metadata = new JsonObject { ["resourceVersion"] = listRv.ToString(CultureInfo.InvariantCulture) };
        if (hasMore)
        {
            metadata["continue"] = ContinueToken.After(ContinueToken.Key(items[^1], acrossNamespaces), listRv);

            // storage.PrepareContinueToken: a count of what follows only when nothing is filtered out (etcd counts keys).
            if (labels.IsEmpty && fields.IsEmpty)
            {
                metadata["remainingItemCount"] = all.Count - first - limit;
            }
        }

        await WriteListAsync(ctx, scope, items, metadata, ct);
    }

    /// <summary>
    /// The objects to page through (unfiltered, in key order), the list's revision, where the page starts and its
    /// limit; null when the answer (a 410 carrying a fresh continue token) was already written.
    /// </summary>
    private async Task<(List<StoredObject> All, long Revision, string? Start, long Limit)?> ReadAsync(
        HttpContext ctx, RequestScope scope, ListOptions options, CancellationToken ct)
    {
        var store = services.Store;
        if (options.Continue.Length > 0)
        {
            // etcd3 store.go resolveGetListRev: a continuation lists at the token's revision (-1: the latest).
            var (start, tokenRv) = ContinueToken.Decode(options.Continue);
            if (options.ResourceVersion is not ("" or "0"))
            {
                throw ApiException.BadRequest("specifying resource version is not allowed when using continue");
            }

            if (tokenRv < 0)
            {
                var (current, revision) = store.Snapshot(scope.Type, scope.Namespace);
                return (current, revision, start, options.Limit);
            }

            var (items, result) = store.ListAt(scope.Type, scope.Namespace, tokenRv);
            switch (result)
            {
                case RevisionRead.Future:
                    throw FutureRevision();
                case RevisionRead.Compacted:
                    // etcd3/errors.go handleCompactedErrorForPaging: the 410 carries a token that continues at the latest revision.
                    var status = ApiException.Gone(InconsistentContinue).ToStatus();
                    status["metadata"] = new JsonObject { ["continue"] = ContinueToken.Encode(start, -1) };
                    await Responses.WriteJsonAsync(ctx, 410, status, ct);
                    return null;
                default:
                    return (items, tokenRv, start, options.Limit);
            }
        }

        var rv = options.ParsedResourceVersion;

        // cacher.go shouldDelegateList: Exact, and the legacy exact match (a limit with a resourceVersion other than
        // "0"), are read from etcd at that revision; everything else from the watch cache.
        if (options.ResourceVersionMatch == ListOptions.Exact || (options.ResourceVersionMatch.Length == 0 && options.Limit > 0 && rv > 0))
        {
            var (items, result) = store.ListAt(scope.Type, scope.Namespace, rv);
            return result switch
            {
                RevisionRead.Future => throw FutureRevision(),
                RevisionRead.Compacted => throw ApiException.Gone(ListExpired),
                _ => (items, rv, null, options.Limit),
            };
        }

        if (rv > 0)
        {
            await store.WaitUntilFreshAsync(rv, ct);
        }

        var (all, listRv) = store.Snapshot(scope.Type, scope.Namespace);

        // cacher.go computeListLimit: the cache ignores the limit of a resourceVersion="0" list.
        return (all, listRv, null, options.ResourceVersion == "0" ? 0 : options.Limit);
    }

    /// <summary>Index of the first object whose key is at or after <paramref name="start"/> (objects are in key order).</summary>
    private static int FirstAtOrAfter(List<StoredObject> all, bool acrossNamespaces, string start)
    {
        int lo = 0, hi = all.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ContinueToken.CompareKey(all[mid], acrossNamespaces, start) >= 0)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    private async Task WriteListAsync(HttpContext ctx, RequestScope scope, List<StoredObject> items, JsonObject metadata, CancellationToken ct)
    {
        if (Responses.TableVersion(ctx) is { } tableVersion)
        {
            var table = services.Tables.Convert(scope.Type, scope.Version, [.. items.Select(i => scope.Out(i.ToJsonObject()))], ctx.Request.Query["includeObject"].ToString(), metadata);
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
