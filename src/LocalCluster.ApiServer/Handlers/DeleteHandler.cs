using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>DELETE of one object and of a collection (handlers/delete.go <c>DeleteResource</c>, <c>DeleteCollection</c>).</summary>
internal sealed class DeleteHandler(ApiServices services)
{
    public async Task DeleteAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var options = await RequestBodies.ReadDeleteOptionsAsync(ctx, ct);
        var result = await services.Store.DeleteAsync(scope.Type, scope.Ns, scope.Name!, options, services.Admit(ctx, scope), ct);
        if (result.Removed)
        {
            var details = scope.Type.Name.Details(scope.Name!);
            details["uid"] = result.Object.Uid;
            await Responses.WriteResourceAsync(ctx, 200, StatusBody.Success(details), ct);
        }
        else
        {
            await Responses.WriteStoredAsync(ctx, 200, result.Object, scope, ct);
        }
    }

    public async Task DeleteCollectionAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        var (labels, fields) = scope.Selectors(ctx);
        var options = await RequestBodies.ReadDeleteOptionsAsync(ctx, ct);
        var (items, rv) = services.Store.List(scope.Type, scope.Namespace, scope.Filter(labels, fields));
        var deleted = new JsonArray();
        var admit = services.Admit(ctx, scope);
        foreach (var item in items)
        {
            try
            {
                var r = await services.Store.DeleteAsync(scope.Type, item.Namespace, item.Name, options with { PreconditionUid = null, PreconditionResourceVersion = null }, admit, ct);
                deleted.Add(scope.Out(r.Object.ToJsonObject()));
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Raced with another delete; the end state is the same.
            }
        }

        await Responses.WriteResourceAsync(ctx, 200, new JsonObject
        {
            ["apiVersion"] = scope.ApiVersion,
            ["kind"] = scope.Type.ListKind,
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        }, ct);
    }
}
