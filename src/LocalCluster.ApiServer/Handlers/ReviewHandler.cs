using Microsoft.AspNetCore.Http;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Handlers;

/// <summary>
/// The create-only, never stored review kinds (TokenReview, the SubjectAccessReview family): the reply is the request
/// with its status filled in (pkg/registry/authorization/*/rest.go <c>Create</c>).
/// </summary>
internal sealed class ReviewHandler(ApiServices services)
{
    public async Task CreateAsync(HttpContext ctx, RequestScope scope, CancellationToken ct)
    {
        if (ctx.Request.Method != "POST" || scope.Name is not null)
        {
            throw ApiException.MethodNotAllowed();
        }

        var review = await RequestBodies.ReadObjectAsync(ctx, scope, ct);
        await Responses.WriteResourceAsync(ctx, 201, Reviews.Answer(scope.Type, scope.Version, scope.Namespace, review, RequestScope.UserOf(ctx), services.Access(), services.Time), ct);
    }
}
