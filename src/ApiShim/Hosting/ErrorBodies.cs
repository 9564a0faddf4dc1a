using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Globalization;
using System.Net;
using Vers.ApiShim.Forks;
using Vers.Kube.Client;

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
    /// a 500 that says no more, unless the cluster said it could not take the request now (<see cref="RetryAfter"/>): then
    /// a 503 that says when to retry.
    /// </summary>
    public static (int Status, string Message) ForException(Exception? error) => error switch
    {
        _ when RetryAfter(error) is { } retry =>
            (StatusCodes.Status503ServiceUnavailable, $"the cluster cannot take this request right now (its API server or storage is unavailable); retry after {retry.TotalSeconds:0} s"),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (StatusCodes.Status413PayloadTooLarge, "request body is too large"),
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } =>
            (StatusCodes.Status408RequestTimeout, "the request body arrived too slowly"),
        BadHttpRequestException bad => (bad.StatusCode, $"malformed request: {bad.Message.TrimEnd('.')}"),
        _ => (StatusCodes.Status500InternalServerError, "internal server error"),
    };

    /// <summary>
    /// When the cluster could not take a request now: kube-apiserver answers unreachable storage with 500 ServerTimeout
    /// (and a retry hint, apiserver pkg/storage/errors), an overloaded or unavailable server with 503 or 504.
    /// </summary>
    public static TimeSpan? RetryAfter(Exception? error) =>
        error is KubeApiException e && (e.Reason is "ServerTimeout" || e.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            ? TimeSpan.FromSeconds(e.Status?.Details?.RetryAfterSeconds is > 0 and var seconds ? seconds : 2)
            : null;

    /// <summary>For UseExceptionHandler.</summary>
    public static Task HandleExceptionAsync(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, message) = ForException(error);
        if (RetryAfter(error) is { } retry)
        {
            http.Response.Headers.RetryAfter = ((int)retry.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

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
