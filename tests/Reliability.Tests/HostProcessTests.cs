using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Vers.Reliability.Tests.Support;

namespace Vers.Reliability.Tests;

/// <summary>
/// The all-in-one host as a user starts it (the built program, its command line): <c>--sim-fault</c> and
/// <c>--sim-latency</c> reach the simulator, and a bad spec stops the program with a clear message.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class HostProcessTests
{
    private const string Key = "process-dev-key-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_fault_given_on_the_command_line_makes_forks_fail_as_it_says()
    {
        var (api, kube, metrics) = (FreePort(), FreePort(), FreePort());
        var dir = Directory.CreateTempSubdirectory("vers-host-").FullName;
        using var host = Start(
            "--listen", $"http://127.0.0.1:{api}", "--kube-listen", $"http://127.0.0.1:{kube}", "--metrics-listen", $"http://127.0.0.1:{metrics}",
            "--kubeconfig", Path.Combine(dir, "kubeconfig"),
            "--dev-api-key", Key, "--sim-latency", "50ms", "--sim-fault", "deny-create=datavolumes", "--sim-fault=unschedulable=1s");
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}/"), Timeout = TimeSpan.FromSeconds(60) };
            await UntilReadyAsync(http, host);
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/repositories/fork")
            {
                Content = new StringContent("""{"source_org":"vers","source_repo":"node","source_tag":"latest"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            using var response = await http.SendAsync(request, Ct);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Contains("deny-create=datavolumes", (string?)body["error"], StringComparison.Ordinal);

            // /metrics on its own listener, not on the API's port.
            Assert.Contains("vers_forks_total", await http.GetStringAsync($"http://127.0.0.1:{metrics}/metrics", Ct), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("metrics", Ct)).StatusCode);
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync(Ct);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--sim-fault", "fail=nodes", "fail= takes one of")]
    [InlineData("--sim-fault", "explode", "expected deny-create=<resource plural>")]
    [InlineData("--sim-latency", "soon", "is not a duration")]
    public async Task A_bad_simulator_flag_stops_the_host_with_a_message_naming_it(string flag, string value, string message)
    {
        using var host = Start(flag, value, "--kube-listen", $"http://127.0.0.1:{FreePort()}", "--listen", $"http://127.0.0.1:{FreePort()}");
        var stderr = await host.StandardError.ReadToEndAsync(Ct);
        await host.WaitForExitAsync(Ct);

        Assert.Equal(2, host.ExitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains(value, stderr, StringComparison.Ordinal);
    }

    private static Process Start(params string[] args)
    {
        var process = HostProgram.Run(args);
        // Drained so a chatty host never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        return process;
    }

    private static Task UntilReadyAsync(HttpClient http, Process host) => HostProgram.UntilReadyAsync(http, http.BaseAddress!, host, Ct);

    private static int FreePort() => HostProgram.FreePort();
}
