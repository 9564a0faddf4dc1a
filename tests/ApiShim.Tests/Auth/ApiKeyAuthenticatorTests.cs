using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Vers.ApiShim.Auth;
using Vers.LocalCluster.ApiServer;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Tests.Auth;

/// <summary>Keys stored as hashed Secrets in the embedded API server, read through an informer.</summary>
public sealed class ApiKeyAuthenticatorTests : IAsyncLifetime
{
    private const string Namespace = "vers-system";
    private KubeApiServer _server = null!;
    private ResourceInformer<V1Secret> _secrets = null!;
    private CancellationTokenSource _stop = null!;
    private Task _informer = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0" }, Ct);
        await new KubeRestClient(_server.CreateClient()).CreateAsync(
            ResourceType.Namespace, null, new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = Namespace } }, Ct);
        _secrets = new ResourceInformer<V1Secret>(
            _server.CreateClient(), ResourceType.Secret, NullLoggerFactory.Instance, new InformerOptions { Namespace = Namespace, LabelSelector = ApiKeys.KeyLabel });
        _stop = new CancellationTokenSource();
        _informer = _secrets.RunAsync(_stop.Token);
        await _secrets.WaitForSyncAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _informer;
        await _server.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task A_created_key_authenticates_as_its_org()
    {
        var (key, _) = await ApiKeys.CreateAsync(_server.CreateClient(), Namespace, "acme", Ct);
        var authenticator = new ApiKeyAuthenticator(_secrets, Namespace);

        var org = await EventuallyAsync(() => authenticator.Authenticate($"Bearer {key}"), o => o is not null);

        Assert.Equal("acme", org);
    }

    [Fact]
    public async Task The_secret_holds_the_keys_hash_and_never_the_key()
    {
        var (key, info) = await ApiKeys.CreateAsync(_server.CreateClient(), Namespace, "acme", Ct);

        var secret = await new KubeRestClient(_server.CreateClient()).GetAsync<V1Secret>(ResourceType.Secret, Namespace, ApiKeys.SecretName(info.KeyId), Ct);

        var stored = string.Join("|", secret.Data.Values.Select(System.Text.Encoding.UTF8.GetString));
        Assert.DoesNotContain(key[36..], stored, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(ApiKeys.Hash(key)), System.Text.Encoding.UTF8.GetString(secret.Data[ApiKeys.HashField]));
    }

    [Fact]
    public async Task A_key_with_the_right_id_but_a_wrong_secret_is_refused()
    {
        var (key, _) = await ApiKeys.CreateAsync(_server.CreateClient(), Namespace, "acme", Ct);
        var authenticator = new ApiKeyAuthenticator(_secrets, Namespace);
        await EventuallyAsync(() => authenticator.Authenticate($"Bearer {key}"), o => o is not null);
        var forged = key[..36] + new string(key[36] == 'a' ? 'b' : 'a', 1) + key[37..];

        Assert.Null(authenticator.Authenticate($"Bearer {forged}"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("Bearer 00000000-0000-0000-0000-000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Missing_malformed_or_unknown_credentials_are_refused(string? header)
    {
        var authenticator = new ApiKeyAuthenticator(_secrets, Namespace);

        Assert.Null(authenticator.Authenticate(header));
    }

    [Fact]
    public async Task Revoking_a_key_refuses_it_once_the_deletion_is_watched()
    {
        var (key, info) = await ApiKeys.CreateAsync(_server.CreateClient(), Namespace, "acme", Ct);
        var authenticator = new ApiKeyAuthenticator(_secrets, Namespace);
        await EventuallyAsync(() => authenticator.Authenticate($"Bearer {key}"), o => o is not null);

        Assert.True(await ApiKeys.RevokeAsync(_server.CreateClient(), Namespace, info.KeyId, Ct));

        Assert.Null(await EventuallyAsync(() => authenticator.Authenticate($"Bearer {key}"), o => o is null));
    }

    /// <summary>Waits for the informer to deliver a change, by its handler, not by sleeping.</summary>
    private async Task<string?> EventuallyAsync(Func<string?> read, Func<string?, bool> done)
    {
        var changed = new SemaphoreSlim(0);
        using var registration = _secrets.AddHandler((_, _) => changed.Release());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        while (!done(read()))
        {
            await changed.WaitAsync(timeout.Token);
        }

        return read();
    }
}
