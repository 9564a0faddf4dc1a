using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>POST of a new object (handlers/create.go <c>createHandler</c>).</summary>
internal sealed class CreateHandler(ApiServices services)
{
    public async Task CreateAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var body = await RequestBodies.ReadObjectAsync(ctx, scope, ct);
        scope.Type.Strategy.ValidateCreateRequest(body);
        var created = await services.Store.CreateAsync(scope.Type, scope.Ns, scope.In(body), RequestScope.DryRun(ctx), RequestScope.Validation(ctx),
            scope.Tracker(ctx, services.Time), services.Admit(ctx, scope), ct);
        RequestScope.AddWarnings(ctx, created);
        await Responses.WriteStoredAsync(ctx, 201, created.Object, scope, ct);
    }
}
