using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using k8s;
using Vers.Api.Crds;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;

namespace Vers.Benchmarks;

/// <summary>
/// Where one fork's time goes: watches every kind the fork touches (our CRs, KubeVirt/CDI kinds, events) from a
/// separate client, posts one fork and prints each change with its offset from the POST, so the gaps between
/// steps (watch hops, reconcile scheduling) are visible. Diagnostic only (<c>--timeline</c>).
/// </summary>
internal static class ForkTimeline
{
    public static async Task PrintAsync(IKubernetes client, HttpClient http, string repoName, CancellationToken ct)
    {
        var rest = new KubeRestClient(client);
        var types = KubeVirtTypes.All
            .Concat([KubeVirtTypes.PersistentVolumeClaim, KubeVirtTypes.PersistentVolume, KubeVirtTypes.VolumeSnapshotContent])
            .Concat(CrdGenerator.EntityTypes.Select(t => ResourceType.For(t)))
            .Append(new ResourceType("events.k8s.io", "v1", "events", "Event"))
            .ToList();
        var seen = new ConcurrentQueue<(TimeSpan At, string Line)>();
        var clock = new Stopwatch();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watches = new List<Task>();
        foreach (var type in types)
        {
            var list = await rest.ListAsync<GenericObject>(type, null, ct);
            var from = list.Metadata?.ResourceVersion;
            watches.Add(Task.Run(
                async () =>
                {
                    try
                    {
                        await foreach (var (kind, obj) in rest.WatchAsync<GenericObject>(type, null, from, stop.Token))
                        {
                            if (kind != WatchEventType.Bookmark)
                            {
                                seen.Enqueue((clock.Elapsed, $"{kind,-9} {type.Plural}/{obj.Metadata.Name} {Summary(obj)}"));
                            }
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        // Stopped.
                    }
                },
                CancellationToken.None));
        }

        await Task.Delay(500, ct);
        var body = $$"""{"source_org":"vers","source_repo":"node","source_tag":"latest","repo_name":"{{repoName}}"}""";
        clock.Start();
        using var response = await http.PostAsync("api/v1/repositories/fork", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var answered = clock.Elapsed;
        await Task.Delay(300, ct);
        await stop.CancelAsync();
        await Task.WhenAll(watches);

        Console.WriteLine();
        Console.WriteLine($"One fork's timeline (offsets from the POST; {(int)response.StatusCode} after {answered.TotalMilliseconds:0.0} ms):");
        var previous = TimeSpan.Zero;
        foreach (var (at, line) in seen.OrderBy(s => s.At))
        {
            Console.WriteLine($"  {at.TotalMilliseconds,7:0.0} ms (+{(at - previous).TotalMilliseconds,5:0.0})  {line}");
            previous = at;
        }

        Console.WriteLine($"  {answered.TotalMilliseconds,7:0.0} ms           201 answered");
    }

    private static string Summary(GenericObject obj)
    {
        var status = obj.Status;
        var parts = new[] { "phase", "printableStatus", "readyToUse", "step", "reference" }
            .Select(k => status?[k] is { } v ? $"{k}={v}" : null)
            .OfType<string>()
            .ToList();
        if (obj.Metadata.Finalizers is { Count: > 0 } f)
        {
            parts.Add($"finalizers={f.Count}");
        }

        return string.Join(' ', parts);
    }
}
