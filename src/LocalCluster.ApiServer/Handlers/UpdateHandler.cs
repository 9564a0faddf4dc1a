using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>PUT of an object or its subresource (handlers/update.go <c>UpdateResource</c>).</summary>
internal sealed class UpdateHandler(ApiServices services)
{
    public async Task UpdateAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var text = await RequestBodies.ReadAsync(ctx, ct);
        var body = RequestBodies.CheckIdentity(RequestBodies.ParseObject(ctx, scope, text), scope);
        var stored = scope.View is null ? scope.In(body) : null;
        var attempts = 0;

        // The store changes the body it is given; an update redone on a newer object starts from the request again.
        // A view's body (a Scale) is folded into the object it changes, so it converts on every attempt.
        var result = await services.Store.UpdateAsync(scope.Type, scope.Ns, scope.Name!,
            current => attempts++ == 0 && stored is not null ? stored : scope.In(attempts == 1 ? body : RequestBodies.ParseObject(ctx, scope, text), current),
            new UpdateOptions(
                Subresource: scope.Subresource, RequireResourceVersion: true, DryRun: RequestScope.DryRun(ctx), Validation: RequestScope.Validation(ctx),
                TrackFields: scope.Tracker(ctx, services.Time)),
            services.Admit(ctx, scope), ct);
        RequestScope.AddWarnings(ctx, result);
        await Responses.WriteStoredAsync(ctx, 200, result.Object, scope, ct);
    }
}
