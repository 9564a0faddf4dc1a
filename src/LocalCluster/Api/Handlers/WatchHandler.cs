using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Resources;
using Vers.LocalCluster.Api.Storage;
using Vers.LocalCluster.Api.Watch;

namespace Vers.LocalCluster.Api.Handlers;

/// <summary>
/// A watch stream (handlers/watch.go <c>serveWatch</c> over the watch cache's <c>cacheWatcher</c>): the initial
/// state or history replay, then the bucket's events through the request's selectors, bookmarks when asked for.
/// </summary>
internal sealed class WatchHandler(ApiServices services)
{
    private static readonly Dictionary<string, byte[]> EventPrefixes = new[] { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" }
        .ToDictionary(type => type, type => Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":"));

    private static readonly byte[] EventEnd = "}\n"u8.ToArray();

    public async Task WatchAsync(HttpContext ctx, RequestScope scope, CancellationToken requestAborted)
    {
        var store = services.Store;
        var time = services.Time;
        var dropped = services.Faults.WatchDropToken;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, services.Shutdown, dropped);
        var ct = linked.Token;
        var (labels, fields) = scope.Selectors(ctx);
        var filter = scope.Filter(labels, fields);
        var q = ctx.Request.Query;
        var rvText = q["resourceVersion"].ToString();
        long? from = null;
        if (rvText.Length > 0 && rvText != "0")
        {
            if (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw ApiException.BadRequest($"invalid resource version: \"{rvText}\"");
            }

            from = parsed;
        }

        var tableVersion = Responses.TableVersion(ctx);
        var includeObject = q["includeObject"].ToString();
        var bookmarks = RequestScope.IsTrue(q["allowWatchBookmarks"]);
        var timeout = int.TryParse(q["timeoutSeconds"].ToString(), out var ts) && ts > 0 ? TimeSpan.FromSeconds(ts) : TimeSpan.FromMinutes(30);

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = tableVersion is null ? MediaTypes.Json : Responses.TableMediaType(tableVersion);
        ctx.Response.Headers.CacheControl = "no-cache, private";

        WatchSubscription subscription;
        List<StoredObject> initial;
        try
        {
            (subscription, initial) = store.StartWatch(scope.Type, from);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            // Like the watch cache: a 200 stream whose only event is an ERROR carrying the 410 Status.
            await WriteEventAsync(ctx, "ERROR", e.ToStatus(), ct);
            return;
        }

        try
        {
            var lastRv = from ?? store.Revision;
            await ctx.Response.StartAsync(ct);
            foreach (var obj in initial.Where(filter))
            {
                lastRv = Math.Max(lastRv, long.Parse(obj.ResourceVersion, CultureInfo.InvariantCulture));
                await WriteEventAsync(ctx, "ADDED", obj, scope, tableVersion, includeObject, ct);
            }

            await ctx.Response.Body.FlushAsync(ct);

            if (initial.Count > 0)
            {
                lastRv = Math.Max(lastRv, initial.Max(o => long.Parse(o.ResourceVersion, CultureInfo.InvariantCulture)));
            }

            var reader = subscription.Channel.Reader;
            var deadline = time.GetUtcNow() + timeout;
            var nextBookmark = time.GetUtcNow();
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

                    if (bookmarks && now >= nextBookmark)
                    {
                        // Everything for this bucket up to the current revision has been written (the channel is
                        // drained and fed under the store lock), so the bookmark may claim the current revision.
                        var revision = store.Revision;
                        if (reader.Count == 0)
                        {
                            lastRv = Math.Max(lastRv, revision);
                            await WriteEventAsync(ctx, "BOOKMARK", new JsonObject
                            {
                                ["kind"] = scope.Type.Kind,
                                ["apiVersion"] = scope.ApiVersion,
                                ["metadata"] = new JsonObject { ["resourceVersion"] = lastRv.ToString(CultureInfo.InvariantCulture) },
                            }, ct);
                        }

                        nextBookmark = now + services.BookmarkInterval;
                    }

                    var wait = (bookmarks ? Min(deadline, nextBookmark) : deadline) - now;
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

        var body = ctx.Response.Body;
        await body.WriteAsync(EventPrefixes[type], ct);
        await body.WriteAsync(scope.OutJson(obj), ct);
        await body.WriteAsync(EventEnd, ct);
    }

    private static async Task WriteEventAsync(HttpContext ctx, string type, JsonObject obj, CancellationToken ct)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), ct);
        await ctx.Response.Body.FlushAsync(ct);
    }
}
