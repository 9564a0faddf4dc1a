using System.Net;
using System.Text;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>The request body limit of handlers/rest.go <c>limitedReadBody</c>: 3 MiB, then 413 RequestEntityTooLarge.</summary>
public sealed class RequestSizeTests
{
    private const string Message = "Request entity too large: limit is 3145728";

    private static string ConfigMapOf(int dataBytes) =>
        $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"big":"{{{new string('x', dataBytes)}}}"}}""";

    private static string Manifest(int dataBytes) =>
        $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  big.txt: {new string('x', dataBytes)}\n";

    [Fact]
    public async Task A_body_over_3_MiB_is_413_with_the_apiservers_status()
    {
        await using var c = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        using var content = new StringContent(ConfigMapOf(4 << 20), Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps") { Content = content };

        // The answer comes before the body is read; waiting for 100-continue keeps this client from writing into a closed connection.
        request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}""",
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_body_just_under_the_limit_is_read_and_validated()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var body = ConfigMapOf(0);

        // Not refused for its size: decoded and validated, where a ConfigMap's 1 MiB data limit (ValidateConfigMap) refuses it.
        var reply = await api.PostAsync("/api/v1/namespaces/default/configmaps", ConfigMapOf((3 << 20) - body.Length));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reply.Code);
        Assert.Contains("must have at most 1048576 bytes", reply.Str("message"));
    }

    [Fact]
    public async Task Kubectl_create_of_a_4_MiB_manifest_prints_request_entity_too_large()
    {
        await using var k = await KubectlHarness.StartAsync();
        var path = k.Manifest("big.yaml", Manifest(4 << 20));
        var stderr = await k.FailsAsync(null, "create", "-f", path);
        Assert.Contains($"Error from server (RequestEntityTooLarge): error when creating \"{path}\": {Message}", stderr);
    }

    [Fact]
    public async Task Kubectl_create_configmap_from_a_4_MiB_file_prints_request_entity_too_large()
    {
        await using var k = await KubectlHarness.StartAsync();
        await ProtobufBodies.RequireAsync(k.Cluster);
        var path = k.Manifest("big.txt", new string('x', 4 << 20));
        var stderr = await k.FailsAsync(null, "create", "configmap", "big", $"--from-file={path}");
        Assert.Contains($"error: failed to create configmap: {Message}", stderr);
    }
}
