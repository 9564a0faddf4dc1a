using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Hosting;

namespace Vers.ApiShim.Forks;

public static class ForkEndpoints
{
    public static RouteGroupBuilder MapForkEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repositories").WithTags("repositories");
        group.MapPost("/fork", ForkAsync)
            .WithName("fork_repository")
            .AddEndpointFilter<ApiKeyFilter>()
            .Produces<ForkRepositoryResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status500InternalServerError);
        return group;
    }

    private static async Task<Results<Created<ForkRepositoryResponse>, JsonHttpResult<ErrorResponse>>> ForkAsync(
        HttpContext http, ForkService forks, ApiShimOptions options, CancellationToken ct)
    {
        var org = ApiKeyFilter.OrgOf(http);
        var (body, tooLarge) = await ReadBodyAsync(http.Request, ApiShimOptions.MaxBodyBytes, ct);
        if (tooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"request body is larger than {ApiShimOptions.MaxBodyBytes} bytes");
        }

        var (request, error) = ForkRequestParser.Parse(body);
        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, error!);
        }

        var outcome = await forks.ForkAsync(org, request, options.WaitTimeout, ct);
        return outcome.Response is { } response
            ? TypedResults.Created((string?)null, response)
            : Error((int)outcome.Status, outcome.Error!);
    }

    public static JsonHttpResult<ErrorResponse> Error(int status, string message) =>
        TypedResults.Json(new ErrorResponse(message), statusCode: status);

    /// <summary>Reads at most <paramref name="limit"/> bytes; a longer body is refused without reading it all.</summary>
    private static async Task<(byte[] Body, bool TooLarge)> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return ([], true);
        }

        var buffer = new ArrayBufferWriter<byte>();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.WrittenCount + read > limit)
            {
                return ([], true);
            }

            buffer.Write(chunk.AsSpan(0, read));
        }

        return (buffer.WrittenSpan.ToArray(), false);
    }
}
