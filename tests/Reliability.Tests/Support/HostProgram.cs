using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Vers.Reliability.Tests.Support;

/// <summary>The all-in-one host as the built program a user runs (<c>Vers.LocalCluster</c> beside the tests).</summary>
internal static class HostProgram
{
    /// <summary>Starts the program with <paramref name="args"/>; stdout and stderr are redirected for the caller to read or drain.</summary>
    public static Process Run(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Vers.LocalCluster"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>Probes <c>readyz</c> on <paramref name="http"/>'s listener, as a load balancer would, until it answers 200 (90 s at most).</summary>
    public static async Task UntilReadyAsync(HttpClient http, Uri listener, Process host, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !host.HasExited)
        {
            try
            {
                using var ready = await http.GetAsync(new Uri(listener, "readyz"), ct);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            // The host gives no signal when it is ready.
            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"the host did not become ready (exited: {host.HasExited})");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
