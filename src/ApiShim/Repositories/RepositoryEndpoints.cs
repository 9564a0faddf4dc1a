using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Forks;
using Vers.ApiShim.Hosting;
using Vers.ApiShim.OpenApi;

namespace Vers.ApiShim.Repositories;

/// <summary>
/// Vers' repository read endpoints (discovery of what to fork, and what a fork made), served from the informer caches.
/// Own-org reads are scoped to the key's org; public reads need no key, and another org's private repository is not
/// found, exactly like a missing one.
/// </summary>
public static class RepositoryEndpoints
{
    public static IEndpointRouteBuilder MapRepositoryEndpoints(this IEndpointRouteBuilder app)
    {
        // Public discovery needs no key, as in Vers.
        var open = app.MapGroup("/api/v1/public/repositories").WithTags("repositories");
        open.MapGet("", (RepositoryCatalog catalog) => TypedResults.Ok(catalog.PublicRepositories()))
            .WithName("list_public_repositories")
            .WithSummary("Public repositories of every organisation");
        open.MapGet("/{org}/{repo}", Results<Ok<PublicRepositoryInfo>, JsonHttpResult<ErrorResponse>> (string org, string repo, RepositoryCatalog catalog) =>
                catalog.PublicRepository(org, repo) is { } found
                    ? TypedResults.Ok(found)
                    : ErrorBodies.Result(StatusCodes.Status404NotFound, RepositoryCatalog.PublicNotFound(org, repo)))
            .WithName("get_public_repository")
            .WithSummary("A public repository")
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        open.MapGet("/{org}/{repo}/tags", Results<Ok<RepositoryTagsResponse>, JsonHttpResult<ErrorResponse>> (string org, string repo, RepositoryCatalog catalog) =>
                catalog.PublicTags(org, repo) is { } tags ? TypedResults.Ok(tags) : ErrorBodies.Result(StatusCodes.Status404NotFound, RepositoryCatalog.PublicNotFound(org, repo)))
            .WithName("list_public_repository_tags")
            .WithSummary("Tags of a public repository")
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        open.MapGet("/{org}/{repo}/tags/{tag}", Results<Ok<RepoTagInfo>, JsonHttpResult<ErrorResponse>> (string org, string repo, string tag, RepositoryCatalog catalog) =>
                catalog.PublicTag(org, repo, tag) is { } found
                    ? TypedResults.Ok(found)
                    : ErrorBodies.Result(StatusCodes.Status404NotFound, RepositoryCatalog.PublicTagNotFound(org, repo, tag)))
            .WithName("get_public_repository_tag")
            .WithSummary("A tag of a public repository: the commit it points at")
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        var own = app.MapGroup("/api/v1/repositories").WithTags("repositories").AddEndpointFilter<ApiKeyFilter>().WithMetadata(new ApiKeyRequired());
        own.MapGet("", Results<Ok<RepositoriesResponse>, JsonHttpResult<ErrorResponse>> (HttpContext http, RepositoryCatalog catalog) =>
                catalog.OwnRepositories(ApiKeyFilter.OrgOf(http)) is { } repositories
                    ? TypedResults.Ok(repositories)
                    : ErrorBodies.Result(StatusCodes.Status403Forbidden, ForkService.OrgHasNoNamespace(ApiKeyFilter.OrgOf(http))))
            .WithName("list_repositories")
            .WithSummary("Repositories of your organisation")
            .ProducesOwnErrors();
        own.MapGet("/{repo}", Results<Ok<RepositoryInfo>, JsonHttpResult<ErrorResponse>> (string repo, HttpContext http, RepositoryCatalog catalog) =>
                catalog.OwnRepository(ApiKeyFilter.OrgOf(http), repo) is { } found
                    ? TypedResults.Ok(found)
                    : ErrorBodies.Result(StatusCodes.Status404NotFound, RepositoryCatalog.NotFound(repo)))
            .WithName("get_repository")
            .WithSummary("A repository of your organisation")
            .ProducesOwnErrors()
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        own.MapGet("/{repo}/tags", Results<Ok<RepositoryTagsResponse>, JsonHttpResult<ErrorResponse>> (string repo, HttpContext http, RepositoryCatalog catalog) =>
                catalog.OwnTags(ApiKeyFilter.OrgOf(http), repo) is { } tags ? TypedResults.Ok(tags) : ErrorBodies.Result(StatusCodes.Status404NotFound, RepositoryCatalog.NotFound(repo)))
            .WithName("list_repository_tags")
            .WithSummary("Tags of a repository of your organisation")
            .ProducesOwnErrors()
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        own.MapGet("/{repo}/tags/{tag}", Results<Ok<RepoTagInfo>, JsonHttpResult<ErrorResponse>> (string repo, string tag, HttpContext http, RepositoryCatalog catalog) =>
                catalog.OwnTag(ApiKeyFilter.OrgOf(http), repo, tag) is { } found
                    ? TypedResults.Ok(found)
                    : ErrorBodies.Result(StatusCodes.Status404NotFound, RepositoryCatalog.TagNotFound(repo, tag)))
            .WithName("get_repository_tag")
            .WithSummary("A tag of a repository of your organisation: the commit it points at")
            .ProducesOwnErrors()
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The errors of every endpoint that needs a key: 401, 403 (the key's org has no namespace), 429.</summary>
    public static RouteHandlerBuilder ProducesOwnErrors(this RouteHandlerBuilder builder) => builder
        .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
        .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
        .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests);
}
