using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Forks;
using Vers.ApiShim.OpenApi;

namespace Vers.ApiShim.Repositories;

/// <summary>Vers' repository read endpoints (discovery of what to fork), served from the informer caches.</summary>
public static class RepositoryEndpoints
{
    public static IEndpointRouteBuilder MapRepositoryEndpoints(this IEndpointRouteBuilder app)
    {
        // Public discovery needs no key, as in Vers.
        var open = app.MapGroup("/api/v1/public/repositories").WithTags("repositories");
        open.MapGet("", (RepositoryCatalog catalog) => TypedResults.Ok(catalog.PublicRepositories()))
            .WithName("list_public_repositories")
            .WithSummary("Public repositories of every organisation");
        open.MapGet("/{org}/{repo}/tags", Results<Ok<RepositoryTagsResponse>, JsonHttpResult<ErrorResponse>> (string org, string repo, RepositoryCatalog catalog) =>
                catalog.PublicTags(org, repo) is { } tags ? TypedResults.Ok(tags) : ForkEndpoints.Error(StatusCodes.Status404NotFound, RepositoryCatalog.PublicNotFound(org, repo)))
            .WithName("list_public_repository_tags")
            .WithSummary("Tags of a public repository")
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        var own = app.MapGroup("/api/v1/repositories").WithTags("repositories").AddEndpointFilter<ApiKeyFilter>().WithMetadata(new ApiKeyRequired());
        own.MapGet("", Results<Ok<RepositoriesResponse>, JsonHttpResult<ErrorResponse>> (HttpContext http, RepositoryCatalog catalog) =>
                catalog.OwnRepositories(ApiKeyFilter.OrgOf(http)) is { } repositories
                    ? TypedResults.Ok(repositories)
                    : ForkEndpoints.Error(StatusCodes.Status500InternalServerError, $"organisation {ApiKeyFilter.OrgOf(http)} has no namespace on this cluster"))
            .WithName("list_repositories")
            .WithSummary("Repositories of your organisation")
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests);
        own.MapGet("/{repo}/tags", Results<Ok<RepositoryTagsResponse>, JsonHttpResult<ErrorResponse>> (string repo, HttpContext http, RepositoryCatalog catalog) =>
                catalog.OwnTags(ApiKeyFilter.OrgOf(http), repo) is { } tags ? TypedResults.Ok(tags) : ForkEndpoints.Error(StatusCodes.Status404NotFound, RepositoryCatalog.NotFound(repo)))
            .WithName("list_repository_tags")
            .WithSummary("Tags of a repository of your organisation")
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests);
        return app;
    }
}
