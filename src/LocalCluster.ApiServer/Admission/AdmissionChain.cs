using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Admission;

/// <summary>
/// The admission webhooks of the embedded server, in kube-apiserver's order: mutating plugins one after another in
/// registration order (each sees the previous one's result), then the store's own validation, then the validating
/// plugins, all at once. Writes of every stored resource are admitted (create, update and patch of any kind including
/// server-side apply, status writes as subresource <c>status</c>, delete); the review kinds are not stored and not
/// admitted. With no plugin registered the chain costs a length check per write.
/// </summary>
public sealed class AdmissionChain
{
    private readonly Lock _gate = new();

    // Copy-on-write: writers replace the arrays under the lock, readers take whichever array is current.
    private Registration[] _mutating = [];
    private Registration[] _validating = [];

    /// <summary>Adds a plugin after the ones already registered; disposing the result removes it again.</summary>
    public IDisposable Register(IAdmissionPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        var registration = new Registration(this, plugin);
        lock (_gate)
        {
            if (plugin.Mutating)
            {
                _mutating = [.. _mutating, registration];
            }
            else
            {
                _validating = [.. _validating, registration];
            }
        }

        return registration;
    }

    /// <summary>The registered plugins: mutating ones in order, then validating ones in order.</summary>
    public IReadOnlyList<IAdmissionPlugin> Plugins => [.. Volatile.Read(ref _mutating).Select(r => r.Plugin), .. Volatile.Read(ref _validating).Select(r => r.Plugin)];

    internal bool IsEmpty => Volatile.Read(ref _mutating).Length == 0 && Volatile.Read(ref _validating).Length == 0;

    internal bool HasMutating => Volatile.Read(ref _mutating).Length > 0;

    internal bool HasValidating => Volatile.Read(ref _validating).Length > 0;

    private void Unregister(Registration registration)
    {
        lock (_gate)
        {
            _mutating = [.. _mutating.Where(r => !ReferenceEquals(r, registration))];
            _validating = [.. _validating.Where(r => !ReferenceEquals(r, registration))];
        }
    }

    /// <summary>
    /// Runs the mutating plugins whose rules match <paramref name="attributes"/> (a request without objects), each on
    /// its own copy of the latest object. Returns the object the last patch produced, or null when none patched it.
    /// Mutating admission sees deletes too (upstream calls them with no object), but what they return is ignored.
    /// </summary>
    internal async ValueTask<JsonObject?> MutateAsync(AdmissionRequest attributes, JsonObject? obj, JsonObject? old, CancellationToken ct)
    {
        JsonObject? patched = null;
        foreach (var registration in Volatile.Read(ref _mutating))
        {
            var plugin = registration.Plugin;
            if (!Matches(plugin, attributes))
            {
                continue;
            }

            var request = attributes with { Object = Copy(patched ?? obj), OldObject = Copy(old) };
            var response = await CallAsync(plugin, request, ct);
            if (!response.Allowed)
            {
                throw Denied(plugin.Name, response);
            }

            if (response.Patched is { } result && attributes.Operation != AdmissionOperation.Delete)
            {
                patched = result;
            }
        }

        return patched;
    }

    /// <summary>
    /// Runs the validating plugins whose rules match, in parallel (as the ValidatingAdmissionWebhook dispatcher
    /// does), and fails with the denial of the first plugin in registration order that refused.
    /// </summary>
    internal async ValueTask ValidateAsync(AdmissionRequest attributes, JsonObject? obj, JsonObject? old, CancellationToken ct)
    {
        List<IAdmissionPlugin>? matched = null;
        foreach (var registration in Volatile.Read(ref _validating))
        {
            if (Matches(registration.Plugin, attributes))
            {
                (matched ??= []).Add(registration.Plugin);
            }
        }

        if (matched is null)
        {
            return;
        }

        if (matched.Count == 1)
        {
            Check(matched[0], await CallAsync(matched[0], attributes with { Object = Copy(obj), OldObject = Copy(old) }, ct));
            return;
        }

        var calls = matched.Select(p => CallAsync(p, attributes with { Object = Copy(obj), OldObject = Copy(old) }, ct).AsTask()).ToArray();
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Every call has finished; failures are reported below, in registration order.
        }

        for (var i = 0; i < calls.Length; i++)
        {
            Check(matched[i], await calls[i]);
        }
    }

    private static void Check(IAdmissionPlugin plugin, AdmissionResponse response)
    {
        if (!response.Allowed)
        {
            throw Denied(plugin.Name, response);
        }
    }

    private static bool Matches(IAdmissionPlugin plugin, AdmissionRequest attributes)
    {
        try
        {
            return plugin.Handles(attributes);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw CallFailed(plugin.Name, e);
        }
    }

    private static async ValueTask<AdmissionResponse> CallAsync(IAdmissionPlugin plugin, AdmissionRequest request, CancellationToken ct)
    {
        try
        {
            return await plugin.AdmitAsync(request, ct) ?? throw new InvalidOperationException("the plugin returned no response");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw CallFailed(plugin.Name, e);
        }
    }

    private static JsonObject? Copy(JsonObject? obj) => obj?.DeepClone().AsObject();

    /// <summary>
    /// A plugin that fails is a webhook that could not be called under <c>failurePolicy: Fail</c>: the dispatchers
    /// answer <c>apierrors.NewInternalError(err)</c> with the <c>ErrCallingWebhook</c> text
    /// (staging/src/k8s.io/apiserver/pkg/util/webhook/error.go, <c>ErrCallingWebhook.Error</c>).
    /// </summary>
    private static ApiException CallFailed(string name, Exception e) =>
        ApiException.InternalError($"failed calling webhook \"{name}\": {e.Message}");

    /// <summary>
    /// A denial as kube-apiserver v1.32 reports a webhook's: <c>ToStatusErr</c> in
    /// staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook/errors/statuserror.go (codes below 400 become 400,
    /// the message names the webhook, the webhook's reason is kept, no details are added).
    /// </summary>
    internal static ApiException Denied(string name, AdmissionResponse response)
    {
        var deniedBy = $"admission webhook \"{name}\" denied the request";
        var message = !string.IsNullOrEmpty(response.Message) ? $"{deniedBy}: {response.Message}"
            : !string.IsNullOrEmpty(response.Reason) ? $"{deniedBy}: {response.Reason}"
            : $"{deniedBy} without explanation";
        return ApiException.Bare(response.Code < 400 ? 400 : response.Code, response.Reason ?? "", message);
    }

    private sealed class Registration(AdmissionChain chain, IAdmissionPlugin plugin) : IDisposable
    {
        private int _disposed;

        public IAdmissionPlugin Plugin { get; } = plugin;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                chain.Unregister(this);
            }
        }
    }
}
