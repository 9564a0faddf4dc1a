using System.Net;
using k8s.Models;

namespace Vers.Kube.Client;

/// <summary>A non-success answer of the API server, with its metav1.Status when it sent one.</summary>
public sealed class KubeApiException(HttpStatusCode statusCode, V1Status? status, string message)
    : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public V1Status? Status { get; } = status;

    public string? Reason => Status?.Reason;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    public bool IsAlreadyExists => StatusCode == HttpStatusCode.Conflict && Reason == "AlreadyExists";

    /// <summary>Optimistic-concurrency conflict: the object changed since it was read.</summary>
    public bool IsConflict => StatusCode == HttpStatusCode.Conflict && Reason != "AlreadyExists";

    public bool IsGone => StatusCode == HttpStatusCode.Gone;
}
