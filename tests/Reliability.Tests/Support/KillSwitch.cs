namespace Vers.Reliability.Tests.Support;

/// <summary>Plays a process kill on a client: once thrown, every request fails before leaving the process.</summary>
public sealed class KillSwitch : DelegatingHandler
{
    private volatile bool _killed;

    public void Kill() => _killed = true;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _killed
            ? throw new HttpRequestException("the process is dead (injected kill)")
            : base.SendAsync(request, cancellationToken);
}
