using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Patching;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>
/// PATCH in the four patch types (handlers/patch.go <c>PatchResource</c>): JSON patch, merge patch, strategic merge
/// patch (not for custom resources) and server-side apply.
/// </summary>
internal sealed class PatchHandler(ApiServices services)
{
    private static readonly string[] PatchMediaTypes = [MediaTypes.JsonPatch, MediaTypes.MergePatch, MediaTypes.ApplyPatch];

    public async Task PatchAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var contentType = MediaTypes.Bare(ctx.Request.ContentType);
        var supported = scope.Type.Strategy.SupportsStrategicMerge ? [.. PatchMediaTypes, MediaTypes.StrategicMergePatch] : PatchMediaTypes;
        if (scope.View is not null)
        {
            // Server-side apply through a view (the managed fields of a Scale mapped onto its resource) is not served.
            supported = [.. supported.Where(t => t != MediaTypes.ApplyPatch)];
        }

        if (!supported.Contains(contentType))
        {
            throw ApiException.UnsupportedMediaType(supported);
        }

        var text = await RequestBodies.ReadAsync(ctx, ct);
        if (contentType == MediaTypes.ApplyPatch)
        {
            await ApplyAsync(ctx, scope, text, ct);
            return;
        }

        var patch = JsonNode.Parse(text.Span);
        var result = await services.Store.UpdateAsync(scope.Type, scope.Ns, scope.Name!, current =>
        {
            var input = scope.Out(current!);
            var patched = contentType switch
            {
                MediaTypes.JsonPatch => JsonPatch.Apply(input, patch),
                MediaTypes.StrategicMergePatch => MergePatch.Apply(input, patch, strategic: true),
                _ => MergePatch.Apply(input, patch),
            };
            return scope.In(patched as JsonObject ?? throw ApiException.BadRequest("the patch produced a non-object document"), current);
        }, new UpdateOptions(Subresource: scope.Subresource, DryRun: RequestScope.DryRun(ctx), Validation: RequestScope.Validation(ctx), TrackFields: scope.Tracker(ctx, services.Time)),
            services.Admit(ctx, scope), ct);
        RequestScope.AddWarnings(ctx, result);
        await Responses.WriteStoredAsync(ctx, 200, result.Object, scope, ct);
    }

    /// <summary>
    /// Server-side apply: create when missing, else merge by the list and map types, drop what this manager stopped
    /// applying, and track ownership (409 on another manager's field unless force).
    /// </summary>
    private async Task ApplyAsync(HttpContext ctx, RequestScope scope, ReadOnlyMemory<byte> text, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(ctx.Request.Query["fieldManager"].ToString()))
        {
            throw ApiException.BadRequest("PATCH, application/apply-patch+yaml requests must have a fieldManager parameter");
        }

        var applied = YamlJson.Parse(RequestBodies.Text(text)) as JsonObject ?? throw ApiException.BadRequest("error decoding YAML: body must be an object");
        RequestBodies.CheckIdentity(applied, scope);
        if (applied["apiVersion"] is null || applied["kind"] is null)
        {
            throw ApiException.BadRequest("apiVersion and kind must be set in an apply patch");
        }

        var fields = scope.Manager(ctx, services.Time);
        var force = RequestScope.IsTrue(ctx.Request.Query["force"]);
        var name = scope.Name!;
        var result = await services.Store.UpdateAsync(scope.Type, scope.Ns, name, current =>
        {
            if (current is null)
            {
                var created = applied.DeepClone().AsObject();
                Meta.Of(created)["name"] = name;
                return scope.In(fields.Apply(null, created, force));
            }

            var merged = fields.Apply(scope.Out(current), applied, force);
            Meta.Of(merged)["resourceVersion"] = Meta.Str(applied, "resourceVersion") ?? Meta.ResourceVersion(current);
            return scope.In(merged);
        }, new UpdateOptions(Subresource: scope.Subresource, CreateIfMissing: scope.Subresource is null, DryRun: RequestScope.DryRun(ctx), Validation: RequestScope.Validation(ctx), TrackFields: fields.Track),
            services.Admit(ctx, scope), ct);
        RequestScope.AddWarnings(ctx, result);
        await Responses.WriteStoredAsync(ctx, result.Created ? 201 : 200, result.Object, scope, ct);
    }
}
