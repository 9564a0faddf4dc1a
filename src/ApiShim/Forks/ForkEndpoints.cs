using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;
using Vers.ApiShim.OpenApi;
using Vers.ApiShim.Repositories;

namespace Vers.ApiShim.Forks;

public static class ForkEndpoints
{
    public const string ForkOperationId = "fork_repository";

    /// <summary>How long a 201 may wait for the read endpoints' caches to show the fork's repository and tag.</summary>
    private static readonly TimeSpan ResultsShownWithin = TimeSpan.FromSeconds(5);

    public static RouteGroupBuilder MapForkEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repositories").WithTags("repositories").AddEndpointFilter<ApiKeyFilter>().WithMetadata(new ApiKeyRequired());
        group.MapPost("/fork", ForkAsync)
            .WithName(ForkOperationId)
            .WithSummary("Fork a repository's tag into your organisation")
            .Accepts<ForkRepositoryRequest>("application/json")
            .Produces<ForkRepositoryResponse>(StatusCodes.Status201Created)
            .Produces<ForkOperation>(StatusCodes.Status202Accepted)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorResponse>(StatusCodes.Status422UnprocessableEntity)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorResponse>(StatusCodes.Status500InternalServerError)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/forks/{id}", GetOperationAsync)
            .WithName("get_fork_operation")
            .WithSummary("A fork operation started with Prefer: respond-async (or one whose synchronous wait ran out)")
            .Produces<ForkOperation>()
            .ProducesOwnErrors()
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        return group;
    }

    private static async Task<Results<Created<ForkRepositoryResponse>, Accepted<ForkOperation>, JsonHttpResult<ErrorResponse>>> ForkAsync(
        HttpContext http, ForkService forks, RepositoryCatalog catalog, ApiShimOptions options, CancellationToken ct)
    {
        var org = ApiKeyFilter.OrgOf(http);
        var (idempotencyKey, keyError) = Idempotency.Read(http.Request.Headers);
        if (keyError is not null)
        {
            return Error(StatusCodes.Status400BadRequest, keyError);
        }

        var (body, unreadable) = await ReadBodyAsync(http.Request, ApiShimOptions.MaxBodyBytes, ct);
        if (unreadable is { } refusal)
        {
            return Error(refusal.Status, refusal.Message);
        }

        var (request, error) = ForkRequestParser.Parse(body);
        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, error!);
        }

        var submission = await forks.SubmitAsync(org, request, idempotencyKey, ct);
        if (submission.Fork is not { } fork)
        {
            if (submission.Refusal!.RetryAfter is { } retryAfter)
            {
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Error((int)submission.Refusal.Status, submission.Refusal.Error!);
        }

        var location = ForkService.OperationPath(fork.Metadata.Name);
        if (PrefersAsync(http.Request.Headers))
        {
            http.Response.Headers["Preference-Applied"] = "respond-async";
            return TypedResults.Accepted(location, ForkService.ToOperation(fork));
        }

        var outcome = await forks.WaitAsync(fork, options.WaitTimeout, ct);
        if (outcome.Response is { } response)
        {
            // Read-your-writes: GET …/repositories/{repo}/tags/{tag} right after this 201 finds the new tag.
            await catalog.UntilShownAsync(org, response.RepoName, response.TagName, response.CommitId, ResultsShownWithin, ct);
            return TypedResults.Created((string?)null, response);
        }

        // Every answer names the operation, so a client can always find out what became of its fork.
        http.Response.Headers.Location = location;
        return Error((int)outcome.Status, outcome.Error!);
    }

    private static async Task<Results<Ok<ForkOperation>, Ok<RepositoryTagsResponse>, JsonHttpResult<ErrorResponse>>> GetOperationAsync(
        string id, HttpContext http, ForkService forks, RepositoryCatalog catalog, CancellationToken ct)
    {
        var org = ApiKeyFilter.OrgOf(http);
        if (id == "tags")
        {
            // GET /api/v1/repositories/forks/tags is the tag list of a repository named "forks"; the
            // literal route segment wins over {repo}, and no operation id is ever "tags".
            return catalog.OwnTags(org, "forks") is { } tags ? TypedResults.Ok(tags) : Error(StatusCodes.Status404NotFound, RepositoryCatalog.NotFound("forks"));
        }

        return await forks.FindOperationAsync(org, id, ct) is { } fork
            ? TypedResults.Ok(ForkService.ToOperation(fork))
            : Error(StatusCodes.Status404NotFound, $"no fork operation {id}");
    }

    /// <summary>RFC 7240: Prefer is a comma-separated list of preferences, each possibly with parameters.</summary>
    public static bool PrefersAsync(IHeaderDictionary headers) =>
        headers["Prefer"]
            .SelectMany(v => (v ?? "").Split(','))
            .Select(p => p.Split(';')[0].Trim())
            .Any(p => p.Equals("respond-async", StringComparison.OrdinalIgnoreCase));

    public static JsonHttpResult<ErrorResponse> Error(int status, string message) => ErrorBodies.Result(status, message);

    /// <summary>
    /// Reads at most <paramref name="limit"/> bytes; a longer body is refused without reading it all, and a body
    /// Kestrel cannot read (bad chunking, shorter than its Content-Length, too slow) is refused with its status.
    /// </summary>
    private static async Task<(byte[] Body, (int Status, string Message)? Refusal)> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        var tooLarge = (StatusCodes.Status413PayloadTooLarge, $"request body is larger than {limit} bytes");
        if (request.ContentLength > limit)
        {
            return ([], tooLarge);
        }

        var buffer = new ArrayBufferWriter<byte>();
        var chunk = new byte[8192];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.WrittenCount + read > limit)
                {
                    return ([], tooLarge);
                }

                buffer.Write(chunk.AsSpan(0, read));
            }
        }
        catch (BadHttpRequestException e)
        {
            return ([], ErrorBodies.ForException(e));
        }

        return (buffer.WrittenSpan.ToArray(), null);
    }
}
