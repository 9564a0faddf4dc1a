using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Vers.ApiShim.Forks;

namespace Vers.ApiShim.Hosting;

/// <summary>Every error the API gives carries Vers' error body, <c>{"error": "...", "success": false}</c>.</summary>
public static class ErrorBodies
{
    public static JsonHttpResult<ErrorResponse> Result(int status, string message) =>
        TypedResults.Json(new ErrorResponse(message), statusCode: status);

    public static Task WriteAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new ErrorResponse(message), http.RequestAborted);
    }

    /// <summary>
    /// The answer for an exception that escaped an endpoint: Kestrel's request-body errors (bad chunking, a body
    /// shorter than its Content-Length, too large, too slow) are the client's, with their own status; anything else is
    /// a 500 that says no more.
    /// </summary>
    public static (int Status, string Message) ForException(Exception? error) => error switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (StatusCodes.Status413PayloadTooLarge, "request body is too large"),
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } =>
            (StatusCodes.Status408RequestTimeout, "the request body arrived too slowly"),
        BadHttpRequestException bad => (bad.StatusCode, $"malformed request: {bad.Message.TrimEnd('.')}"),
        _ => (StatusCodes.Status500InternalServerError, "internal server error"),
    };

    /// <summary>For UseExceptionHandler.</summary>
    public static Task HandleExceptionAsync(HttpContext http)
    {
        var (status, message) = ForException(http.Features.Get<IExceptionHandlerFeature>()?.Error);
        return WriteAsync(http, status, message);
    }

    /// <summary>What a status means when nothing more specific is known (Kestrel's own refusals, empty error answers).</summary>
    public static string ForStatus(int status, HttpRequest? request = null) => status switch
    {
        StatusCodes.Status400BadRequest => "malformed HTTP request",
        StatusCodes.Status404NotFound when request is not null => $"no such endpoint: {request.Method} {request.Path}",
        StatusCodes.Status405MethodNotAllowed when request is not null => $"method {request.Method} is not allowed on {request.Path}",
        StatusCodes.Status405MethodNotAllowed => "method not allowed",
        StatusCodes.Status408RequestTimeout => "the request was not received in time",
        StatusCodes.Status411LengthRequired => "a request body needs a Content-Length or chunked Transfer-Encoding",
        StatusCodes.Status413PayloadTooLarge => "request is too large",
        StatusCodes.Status414UriTooLong => "the request URL is too long",
        StatusCodes.Status415UnsupportedMediaType when request is not null =>
            $"Content-Type must be application/json, not {(request.ContentType is { Length: > 0 } type ? type : "missing")}",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "the request headers are too large",
        StatusCodes.Status500InternalServerError => "internal server error",
        StatusCodes.Status501NotImplemented => "not implemented",
        StatusCodes.Status505HttpVersionNotsupported => "HTTP version not supported",
        _ => $"request failed with status {status}",
    };
}
