using System.Net;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// kubectl's typed commands (auth can-i, auth whoami, create configmap) send protobuf request bodies. Tests of what
/// kubectl prints for them skip themselves while the server answers such a body 415, and run once it decodes them.
/// </summary>
internal static class ProtobufBodies
{
    public static async Task RequireAsync(TestCluster cluster)
    {
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };
        using var content = new ByteArrayContent([]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/vnd.kubernetes.protobuf");
        using var response = await http.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", content, TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.UnsupportedMediaType)
        {
            Assert.Skip("the server does not decode protobuf request bodies yet, and kubectl sends this command's body as protobuf");
        }
    }
}
