using System.Net;
using System.Text;
using k8s;
using k8s.Models;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.Kube.Tests.Client;

/// <summary>WatchAsync over a canned response body: how lines are cut and decoded, whatever their size.</summary>
public sealed class KubeRestClientWatchTests
{
    private static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap");

    private static string Event(string type, string name, int payload = 1) =>
        $$"""{"type":"{{type}}","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{name}}","resourceVersion":"1"},"data":{"p":"{{new string('x', payload)}}""" + "\"}}}";

    private static async Task<List<(WatchEventType Type, V1ConfigMap Object)>> WatchAsync(string body)
    {
        var client = new KubeRestClient(new Kubernetes(new KubernetesClientConfiguration { Host = "http://canned.invalid" }, new Canned(Encoding.UTF8.GetBytes(body))));
        var events = new List<(WatchEventType, V1ConfigMap)>();
        await foreach (var e in client.WatchAsync<V1ConfigMap>(ConfigMaps, "default", null, TestContext.Current.CancellationToken))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task Every_line_is_one_event_in_order_and_blank_lines_are_skipped()
    {
        var events = await WatchAsync($"{Event("ADDED", "a")}\n\n{Event("MODIFIED", "b")}\r\n{Event("DELETED", "c")}\n");

        Assert.Equal([(WatchEventType.Added, "a"), (WatchEventType.Modified, "b"), (WatchEventType.Deleted, "c")], events.Select(e => (e.Type, e.Object.Metadata.Name)));
    }

    [Fact]
    public async Task A_last_line_without_a_newline_is_still_an_event()
    {
        var events = await WatchAsync($"{Event("ADDED", "a")}\n{Event("ADDED", "b")}");

        Assert.Equal(["a", "b"], events.Select(e => e.Object.Metadata.Name));
    }

    [Fact]
    public async Task Lines_larger_than_the_read_buffer_decode_whole()
    {
        var events = await WatchAsync($"{Event("ADDED", "small")}\n{Event("ADDED", "big", 100_000)}\n{Event("ADDED", "after")}\n");

        Assert.Equal(["small", "big", "after"], events.Select(e => e.Object.Metadata.Name));
        Assert.Equal(100_000, events[1].Object.Data["p"].Length);
    }

    [Fact]
    public async Task An_ERROR_event_ends_the_watch_after_the_events_before_it()
    {
        var client = new KubeRestClient(new Kubernetes(
            new KubernetesClientConfiguration { Host = "http://canned.invalid" },
            new Canned(Encoding.UTF8.GetBytes($$$"""
                {{{Event("ADDED", "a")}}}
                {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410}}
                {{{Event("ADDED", "never")}}}
                """))));
        var seen = new List<string>();

        var e = await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var (_, obj) in client.WatchAsync<V1ConfigMap>(ConfigMaps, "default", null, TestContext.Current.CancellationToken))
            {
                seen.Add(obj.Metadata.Name);
            }
        });

        Assert.True(e.IsGone);
        Assert.Equal(["a"], seen);
    }

    private sealed class Canned(byte[] body) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body), RequestMessage = request });
    }
}
