using System.Collections.Concurrent;
using Vers.LocalCluster.ApiServer.Admission;

namespace Vers.LocalCluster.ApiServer.Tests.Admission;

/// <summary>An admission plugin for tests: a rule, an answer, and every request it was called with.</summary>
internal sealed class RecordingPlugin(
    string name,
    bool mutating,
    Func<AdmissionRequest, bool>? handles = null,
    Func<AdmissionRequest, ValueTask<AdmissionResponse>>? admit = null) : IAdmissionPlugin
{
    private readonly ConcurrentQueue<AdmissionRequest> _calls = new();

    public string Name => name;

    public bool Mutating => mutating;

    /// <summary>The requests AdmitAsync was called with, in order.</summary>
    public IReadOnlyList<AdmissionRequest> Calls => [.. _calls];

    /// <summary>The requests Handles was asked about.</summary>
    public ConcurrentQueue<AdmissionRequest> Asked { get; } = new();

    public bool Handles(AdmissionRequest request)
    {
        Asked.Enqueue(request);
        return handles?.Invoke(request) ?? true;
    }

    public ValueTask<AdmissionResponse> AdmitAsync(AdmissionRequest request, CancellationToken ct)
    {
        _calls.Enqueue(request);
        return admit?.Invoke(request) ?? ValueTask.FromResult(AdmissionResponse.Allow());
    }

    public static RecordingPlugin Validator(string name, Func<AdmissionRequest, AdmissionResponse>? answer = null, Func<AdmissionRequest, bool>? handles = null) =>
        new(name, mutating: false, handles, answer is null ? null : r => ValueTask.FromResult(answer(r)));

    public static RecordingPlugin Mutator(string name, Func<AdmissionRequest, AdmissionResponse> answer, Func<AdmissionRequest, bool>? handles = null) =>
        new(name, mutating: true, handles, r => ValueTask.FromResult(answer(r)));

    /// <summary>A rule on resource (and optionally operation), like a webhook's <c>rules</c>.</summary>
    public static Func<AdmissionRequest, bool> On(string resource, AdmissionOperation? operation = null) =>
        r => r.Resource == resource && (operation is null || r.Operation == operation);
}
