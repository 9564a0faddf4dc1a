using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Protobuf;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Selectors;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>
/// A watch stream (handlers/watch.go <c>serveWatch</c> over the watch cache's <c>cacheWatcher</c>): the initial
/// state or history replay, then the bucket's events through the request's selectors, bookmarks when asked for.
/// </summary>
internal sealed class WatchHandler(ApiServices services)
{
    private static readonly Dictionary<string, byte[]> EventPrefixes = new[] { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" }
        .ToDictionary(type => type, type => Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":"));

    private static readonly byte[] EventEnd = "}\n"u8.ToArray();

    /// <summary>cache_watcher.go <c>nextBookmarkTime</c>: the last bookmark goes out this long before the watch times out.</summary>
    private static readonly TimeSpan PreTimeoutBookmark = TimeSpan.FromSeconds(2);

    public async Task WatchAsync(HttpContext ctx, RequestScope scope, CancellationToken requestAborted)
    {
        // get.go ListResource: options defaulted and validated, selectors parsed, a name in the path checked against
        // them; then cacher.go Watch parses the resourceVersion. All of these fail before the stream starts.
        var options = ListOptions.From(ctx.Request.Query, watch: true);
        var filter = Filter(ctx, scope);
        var requested = options.ParsedResourceVersion;

        var store = services.Store;
        var time = services.Time;
        var dropped = services.Faults.WatchDropToken;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, services.Shutdown, dropped);
        var ct = linked.Token;
        var tableVersion = Responses.TableVersion(ctx);
        var includeObject = ctx.Request.Query["includeObject"].ToString();
        var timeout = options.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(options.TimeoutSeconds) : TimeSpan.FromMinutes(30);
        var deadline = time.GetUtcNow() + timeout;

        // Protobuf clients get length-prefixed WatchEvent frames (the protobuf stream serializer) for the kinds the codec knows.
        var protobuf = tableVersion is null && KubeProtobuf.CanEncode(scope.ApiVersion, scope.Type.Kind)
                       && Negotiation.Negotiate(ctx.Request.Headers.Accept.ToString(), Negotiation.Endpoint.Resource)?.Format == OutputFormat.Protobuf;
        ctx.Items[ProtobufStream] = protobuf;
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = protobuf ? KubeProtobuf.WatchMediaType : tableVersion is null ? MediaTypes.Json : Responses.TableMediaType(tableVersion);
        ctx.Response.Headers.CacheControl = "no-cache, private";

        WatchStart start;
        try
        {
            start = await StartAsync(scope, options, requested, ct);
        }
        catch (ApiException e) when (e.Code is 410 or 504)
        {
            // Like the watch cache (newErrWatcher): a 200 stream whose only event is an ERROR carrying the Status.
            await WriteEventAsync(ctx, "ERROR", e.ToStatus(), ct);
            return;
        }

        var subscription = start.Subscription;
        try
        {
            // cache_watcher.go processInterval: nothing at or before the revision the watch starts at is sent (a
            // watch from a revision the store has not reached yet skips the events up to it).
            var startRv = options.SendInitialEvents != true && requested > 0 ? requested : start.Revision;

            var lastRv = startRv;
            await ctx.Response.StartAsync(ct);
            foreach (var obj in start.Initial)
            {
                if (filter(obj))
                {
                    await WriteEventAsync(ctx, "ADDED", obj, scope, tableVersion, includeObject, ct);
                }
            }

            if (options.IsWatchList)
            {
                // cacher.go setInitialEventsEndBookmarkIfRequested: the initial events end with an annotated bookmark.
                await WriteEventAsync(ctx, "BOOKMARK", Bookmark(scope, start.Revision, initialEventsEnd: true), ct);
            }

            await ctx.Response.Body.FlushAsync(ct);

            var reader = subscription.Channel.Reader;
            var nextBookmark = options.AllowWatchBookmarks ? NextBookmark(time.GetUtcNow(), deadline) : DateTimeOffset.MaxValue;

            // One timer for the whole stream, re-armed per wait: a fresh linked source per wake-up cost an allocation
            // and a timer registration for every event.
            var delay = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var written = false;
                    while (reader.TryRead(out var e))
                    {
                        if (e.Revision <= startRv)
                        {
                            continue;
                        }

                        lastRv = e.Revision;
                        if (Translate(e, filter) is { } translated)
                        {
                            // Plain JSON is the stored bytes between an event prefix and suffix: nothing to render per watcher.
                            await WriteEventAsync(ctx, translated.Type, translated.Object, scope, tableVersion, includeObject, ct);
                            written = true;
                        }
                    }

                    if (written)
                    {
                        // Events that queued up together leave in one send, not one system call each.
                        await ctx.Response.Body.FlushAsync(ct);
                    }

                    var now = time.GetUtcNow();
                    if (now >= deadline)
                    {
                        return;
                    }

                    if (now >= nextBookmark)
                    {
                        // Everything for this bucket up to the current revision has been written (the channel is
                        // drained and fed under the store lock), so the bookmark may claim the current revision. Like
                        // cacheWatcher.process, one at or before the revision the watch started at is not sent.
                        var revision = store.Revision;
                        if (reader.Count == 0 && revision > startRv)
                        {
                            lastRv = Math.Max(lastRv, revision);
                            await WriteEventAsync(ctx, "BOOKMARK", Bookmark(scope, lastRv, initialEventsEnd: false), ct);
                        }

                        nextBookmark = NextBookmark(now, deadline);
                    }

                    var wait = Min(deadline, nextBookmark) - now;
                    if (!delay.TryReset())
                    {
                        delay.Dispose();
                        delay = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    }

                    delay.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                    try
                    {
                        if (!await reader.WaitToReadAsync(delay.Token))
                        {
                            return;
                        }
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // Timer fired: loop to emit a bookmark or end at the deadline.
                    }
                }
            }
            finally
            {
                delay.Dispose();
            }
        }
        catch (OperationCanceledException) when (dropped.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            // Injected watch drop: end the stream cleanly, clients re-watch from their last resourceVersion.
        }
        finally
        {
            store.StopWatch(subscription);
        }
    }

    /// <summary>
    /// cacher.go <c>Watch</c>: with initial events (the default for a watch from "" or "0") the watch waits until
    /// the store has reached the requested revision (else 504) and starts from the current objects; without, it
    /// replays the history after the requested revision (410 when compacted), or starts now for "" and "0".
    /// </summary>
    private async Task<WatchStart> StartAsync(RequestScope scope, ListOptions options, long requested, CancellationToken ct)
    {
        var store = services.Store;
        if (options.SendInitialEvents == true)
        {
            if (requested > 0)
            {
                await store.WaitUntilFreshAsync(requested, ct);
            }

            return store.StartWatch(scope.Type, fromRevision: null, initialState: true);
        }

        return store.StartWatch(scope.Type, requested > 0 ? requested : null, initialState: false);
    }

    /// <summary>
    /// The request's selectors; a name in a watch path is a <c>metadata.name</c> field selector, and one the
    /// fieldSelector parameter contradicts is a 400 (get.go <c>ListResource</c>).
    /// </summary>
    private static Func<StoredObject, bool> Filter(HttpContext ctx, RequestScope scope)
    {
        var (labels, fields) = scope.Selectors(ctx);
        if (scope.Name is { } name)
        {
            if (fields.IsEmpty)
            {
                fields = FieldSelector.Parse($"metadata.name={name}", scope.Type);
            }
            else if (fields.RequiresExactMatch("metadata.name") != name)
            {
                throw ApiException.BadRequest("fieldSelector metadata.name doesn't match requested name");
            }
        }

        return scope.Filter(labels, fields);
    }

    /// <summary>cache_watcher.go <c>nextBookmarkTime</c>: every bookmark interval, and once just before the timeout.</summary>
    private DateTimeOffset NextBookmark(DateTimeOffset now, DateTimeOffset deadline)
    {
        var next = Min(now + services.BookmarkInterval, deadline - PreTimeoutBookmark);
        return next <= now ? DateTimeOffset.MaxValue : next;
    }

    /// <summary>
    /// A bookmark: an empty object of the kind carrying only a resourceVersion. The one ending a watch-list's
    /// initial events is annotated <c>k8s.io/initial-events-end</c>, plus the encoded empty list clients build the
    /// list from (handlers/response.go <c>watchListTransformer</c>).
    /// </summary>
    private static JsonObject Bookmark(RequestScope scope, long revision, bool initialEventsEnd)
    {
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            var blueprint = new JsonObject
            {
                ["kind"] = scope.Type.ListKind,
                ["apiVersion"] = scope.ApiVersion,
                ["metadata"] = new JsonObject(),
                ["items"] = null,
            }.ToJsonString() + "\n";
            metadata["annotations"] = new JsonObject
            {
                ["k8s.io/initial-events-end"] = "true",
                ["kubernetes.io/initial-events-list-blueprint"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(blueprint)),
            };
        }

        return new JsonObject { ["kind"] = scope.Type.Kind, ["apiVersion"] = scope.ApiVersion, ["metadata"] = metadata };
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>The type <see cref="Translate"/> gives the event, without copying anything; null when the watcher does not see it.</summary>
    private static string? TranslatedType(WatchEvent e, Func<StoredObject, bool> filter)
    {
        switch (e.Type)
        {
            case "DELETED":
                return filter(e.Object) ? "DELETED" : null;
            case "ADDED":
                return filter(e.Object) ? "ADDED" : null;
        }

        var now = filter(e.Object);
        var before = e.Previous is not null && filter(e.Previous);
        return now && before ? "MODIFIED" : now ? "ADDED" : before ? "DELETED" : null;
    }

    /// <summary>Selector transitions as the watch cache does them: leaving the selection is DELETED (the last state at the event's revision), entering is ADDED.</summary>
    private static (string Type, StoredObject Object)? Translate(WatchEvent e, Func<StoredObject, bool> filter)
    {
        switch (TranslatedType(e, filter))
        {
            case null:
                return null;
            case "DELETED" when e.Type != "DELETED":
                return ("DELETED", e.Previous!.WithResourceVersion(e.Revision));
            case var type:
                return (type, e.Object);
        }
    }

    /// <summary>One watch event line: the object's JSON as served (see <see cref="RequestScope.OutJson"/>), or its Table row.</summary>
    private async Task WriteEventAsync(HttpContext ctx, string type, StoredObject obj, RequestScope scope, string? tableVersion, string includeObject, CancellationToken ct)
    {
        if (tableVersion is not null)
        {
            var o = scope.Out(obj.ToJsonObject());
            var table = services.Tables.Convert(scope.Type, scope.Version, [o], includeObject, new JsonObject { ["resourceVersion"] = Meta.ResourceVersion(o) });
            table["apiVersion"] = $"meta.k8s.io/{tableVersion}";
            await WriteEventAsync(ctx, type, table, ct);
            return;
        }

        if (IsProtobuf(ctx))
        {
            await ctx.Response.Body.WriteAsync(KubeProtobuf.EncodeWatchEvent(type, scope.Out(obj.ToJsonObject())), ct);
            return;
        }

        var body = ctx.Response.Body;
        await body.WriteAsync(EventPrefixes[type], ct);
        await body.WriteAsync(scope.OutJson(obj), ct);
        await body.WriteAsync(EventEnd, ct);
    }

    private const string ProtobufStream = "vers.watch-protobuf";

    private static bool IsProtobuf(HttpContext ctx) => ctx.Items[ProtobufStream] is true;

    private static async Task WriteEventAsync(HttpContext ctx, string type, JsonObject obj, CancellationToken ct)
    {
        var line = IsProtobuf(ctx) ? KubeProtobuf.EncodeWatchEvent(type, obj)
            : Encoding.UTF8.GetBytes(new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n");
        await ctx.Response.Body.WriteAsync(line, ct);
        await ctx.Response.Body.FlushAsync(ct);
    }
}
