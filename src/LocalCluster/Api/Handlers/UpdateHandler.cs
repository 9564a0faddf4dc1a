using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Storage;

namespace Vers.LocalCluster.Api.Handlers;

/// <summary>PUT of an object or its subresource (handlers/update.go <c>UpdateResource</c>).</summary>
internal sealed class UpdateHandler(ApiServices services)
{
    public async Task UpdateAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var text = await RequestBodies.ReadAsync(ctx, ct);
        var body = scope.In(RequestBodies.CheckIdentity(RequestBodies.ParseObject(ctx, scope, text), scope));
        var attempts = 0;

        // The store changes the body it is given; an update redone on a newer object starts from the request again.
        var result = await services.Store.UpdateAsync(scope.Type, scope.Ns, scope.Name!,
            _ => attempts++ == 0 ? body : scope.In(RequestBodies.ParseObject(ctx, scope, text)),
            new UpdateOptions(
                Subresource: scope.Subresource, RequireResourceVersion: true, DryRun: RequestScope.DryRun(ctx), Validation: RequestScope.Validation(ctx),
                TrackFields: scope.Tracker(ctx, services.Time)),
            services.Admit(ctx, scope), ct);
        RequestScope.AddWarnings(ctx, result);
        await Responses.WriteStoredAsync(ctx, 200, result.Object, scope, ct);
    }
}
