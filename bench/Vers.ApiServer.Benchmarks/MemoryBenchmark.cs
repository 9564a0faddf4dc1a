using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.KubeVirt;

namespace Vers.ApiServer.Benchmarks;

/// <summary>
/// The API server's footprint with realistic objects: N objects (KubeVirt VirtualMachines with a status written by
/// another manager, CDI DataVolumes, events.k8s.io Events), each carrying managedFields. Prints the live managed heap
/// per object after a full GC next to the objects' JSON size, and per request kind the bytes allocated and the time.
/// Allocation figures are process-wide (the raw HttpClient sending pre-built bodies is included; it is small and the
/// same before and after server changes). Deterministic figures first; times are noisy on a shared machine.
/// </summary>
internal static class MemoryBenchmark
{
    private const string Ns = "bench";

    public static async Task RunAsync(int objects, CancellationToken ct)
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Url = "http://127.0.0.1:0" }, ct);
        using var kube = server.CreateClient();
        await KubeVirtCrds.InstallAsync(kube, ct);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("bench/1.0");
        await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}""", "application/json", ct);

        // Warm-up: JIT, pools, schema caches; its objects stay and are part of the baseline.
        var vms = objects * 4 / 10;
        var dvs = objects * 3 / 10;
        var events = objects - vms - dvs;
        await RunPhaseAsync(http, "warm", 100, 100, 100, ct, report: false);
        var before = LiveHeap();
        var phases = await RunPhaseAsync(http, "obj", vms, dvs, events, ct, report: true);
        var after = LiveHeap();

        var jsonBytes = await StoredJsonBytesAsync(http, ct);
        var total = vms + dvs + events;
        Console.WriteLine($"memory: {total} objects ({vms} VirtualMachines with status, {dvs} DataVolumes, {events} Events), " +
                          $"default watch history (10,000 events)");
        Console.WriteLine($"  live managed heap after full GC: {(after - before) / (double)total / 1024,8:0.0} KiB per object " +
                          $"({(after - before) / 1048576.0:0.0} MiB for {total} objects; total heap {after / 1048576.0:0.0} MiB)");
        Console.WriteLine($"  JSON size of the stored objects: {jsonBytes.Average / 1024,8:0.0} KiB per object (VM {jsonBytes.Vm / 1024:0.0}, DV {jsonBytes.Dv / 1024:0.0}, Event {jsonBytes.Event / 1024:0.0} KiB)");
        Console.WriteLine($"  heap / JSON: {(after - before) / (double)total / jsonBytes.Average:0.00}x");
        Console.WriteLine($"  process working set {Environment.WorkingSet / 1048576.0:0} MiB");
        foreach (var p in phases)
        {
            Console.WriteLine($"  {p.Name,-30} {p.Allocated / (double)p.Count / 1024,8:0.0} KiB allocated/request   {p.Elapsed.TotalMilliseconds * 1000 / p.Count,8:0} µs/request (1 client)");
        }
    }

    private sealed record Phase(string Name, int Count, long Allocated, TimeSpan Elapsed);

    private static async Task<List<Phase>> RunPhaseAsync(HttpClient http, string prefix, int vms, int dvs, int events, CancellationToken ct, bool report)
    {
        var phases = new List<Phase>();
        var uids = new string[vms];
        phases.Add(await MeasureAsync("create VirtualMachine", vms, async i => uids[i] = JsonNode.Parse(await SendAsync(http, HttpMethod.Post,
            $"/apis/kubevirt.io/v1/namespaces/{Ns}/virtualmachines?fieldManager=vers-operator", VirtualMachine($"{prefix}-vm-{i}"), "application/json", ct))!["metadata"]!["uid"]!.GetValue<string>()));
        phases.Add(await MeasureAsync("patch VM status (merge)", vms, i => SendAsync(http, HttpMethod.Patch,
            $"/apis/kubevirt.io/v1/namespaces/{Ns}/virtualmachines/{prefix}-vm-{i}/status?fieldManager=virt-controller", VmStatus(i), "application/merge-patch+json", ct)));
        phases.Add(await MeasureAsync("patch VM labels (merge)", vms, i => SendAsync(http, HttpMethod.Patch,
            $"/apis/kubevirt.io/v1/namespaces/{Ns}/virtualmachines/{prefix}-vm-{i}?fieldManager=vers-operator", """{"metadata":{"labels":{"vers.sh/commit":"c1"}}}""", "application/merge-patch+json", ct)));
        phases.Add(await MeasureAsync("update VM (PUT, same manager)", Math.Min(vms, 500), async i =>
        {
            var current = JsonNode.Parse(await SendAsync(http, HttpMethod.Get, $"/apis/kubevirt.io/v1/namespaces/{Ns}/virtualmachines/{prefix}-vm-{i}", null, null, ct))!.AsObject();
            current["spec"]!["runStrategy"] = "Always";
            await SendAsync(http, HttpMethod.Put, $"/apis/kubevirt.io/v1/namespaces/{Ns}/virtualmachines/{prefix}-vm-{i}?fieldManager=vers-operator", current.ToJsonString(), "application/json", ct);
        }));
        phases.Add(await MeasureAsync("create DataVolume", dvs, i => SendAsync(http, HttpMethod.Post,
            $"/apis/cdi.kubevirt.io/v1beta1/namespaces/{Ns}/datavolumes?fieldManager=virt-controller", DataVolume($"{prefix}-dv-{i}", $"{prefix}-vm-{i % vms}", uids[i % vms]), "application/json", ct)));
        phases.Add(await MeasureAsync("create events.k8s.io Event", events, i => SendAsync(http, HttpMethod.Post,
            $"/apis/events.k8s.io/v1/namespaces/{Ns}/events", Event($"{prefix}-ev-{i}", i), "application/json", ct)));
        phases.Add(await MeasureAsync("get VirtualMachine", Math.Min(vms, 1000), i => SendAsync(http, HttpMethod.Get,
            $"/apis/kubevirt.io/v1/namespaces/{Ns}/virtualmachines/{prefix}-vm-{i}", null, null, ct)));
        return report ? phases : [];
    }

    private static async Task<Phase> MeasureAsync(string name, int count, Func<int, Task> op)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await op(i);
        }

        wall.Stop();
        return new Phase(name, Math.Max(count, 1), GC.GetTotalAllocatedBytes(precise: true) - allocated, wall.Elapsed);
    }

    private static long LiveHeap()
    {
        // Let the lifecycle controller and Kestrel settle, then a full compacting collection.
        Thread.Sleep(500);
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task<(double Average, double Vm, double Dv, double Event)> StoredJsonBytesAsync(HttpClient http, CancellationToken ct)
    {
        async Task<(long Bytes, int Count)> SizesAsync(string path)
        {
            var list = JsonNode.Parse(await SendAsync(http, HttpMethod.Get, path, null, null, ct))!["items"]!.AsArray();
            return (list.Sum(i => (long)Encoding.UTF8.GetByteCount(i!.ToJsonString())), list.Count);
        }

        var vm = await SizesAsync($"/apis/kubevirt.io/v1/namespaces/{Ns}/virtualmachines");
        var dv = await SizesAsync($"/apis/cdi.kubevirt.io/v1beta1/namespaces/{Ns}/datavolumes");
        var ev = await SizesAsync($"/api/v1/namespaces/{Ns}/events");
        return ((vm.Bytes + dv.Bytes + ev.Bytes) / (double)(vm.Count + dv.Count + ev.Count),
            vm.Bytes / (double)Math.Max(vm.Count, 1), dv.Bytes / (double)Math.Max(dv.Count, 1), ev.Bytes / (double)Math.Max(ev.Count, 1));
    }

    private static async Task<string> SendAsync(HttpClient http, HttpMethod method, string path, string? body, string? contentType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
        }

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return text;
    }

    private static string VirtualMachine(string name) => $$$$$"""
        {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",
         "metadata":{"name":"{{{{{name}}}}}","namespace":"{{{{{Ns}}}}}","labels":{"vers.sh/org":"acme","vers.sh/repository":"node","app.kubernetes.io/managed-by":"vers-operator"},
           "annotations":{"vers.sh/fork":"fork-{{{{{name}}}}}"}},
         "spec":{"runStrategy":"Halted",
           "dataVolumeTemplates":[{"metadata":{"name":"{{{{{name}}}}}-root"},"spec":{"source":{"blank":{}},
             "storage":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"5Gi"}},"storageClassName":"local-path","volumeMode":"Filesystem"}}}],
           "template":{"metadata":{"labels":{"kubevirt.io/vm":"{{{{{name}}}}}"}},
             "spec":{"domain":{"firmware":{"uuid":"5d307ca9-b3ef-428c-8861-06e72d69f223","serial":"e4686d2c-6e8d-4335-b8fd-81bee22f4814"},
               "devices":{"disks":[{"name":"root","disk":{"bus":"virtio"}},{"name":"data","disk":{"bus":"virtio"}},{"name":"cloudinit","disk":{"bus":"virtio"}}],
                 "interfaces":[{"name":"default","masquerade":{},"macAddress":"02:00:00:aa:bb:cc"}]},
               "resources":{"requests":{"memory":"1Gi","cpu":1}}},
             "networks":[{"name":"default","pod":{}}],
             "volumes":[{"name":"root","dataVolume":{"name":"{{{{{name}}}}}-root"}},{"name":"data","persistentVolumeClaim":{"claimName":"{{{{{name}}}}}-data"}},
               {"name":"cloudinit","cloudInitNoCloud":{"userData":"#cloud-config\n"}}]}}}}
        """;

    private static string VmStatus(int i) => $$$$$"""
        {"status":{"printableStatus":"Stopped","created":false,"ready":false,"runStrategy":"Halted",
          "conditions":[{"type":"Ready","status":"False","reason":"VMINotExists","message":"VMI does not exist","lastProbeTime":null,"lastTransitionTime":"2025-01-01T00:00:{{{{{i % 60:00}}}}}Z"}],
          "volumeSnapshotStatuses":[{"name":"root","enabled":true},{"name":"data","enabled":true},{"name":"cloudinit","enabled":false,"reason":"Snapshot is not supported for this volumeSource type [cloudinit]"}]}}
        """;

    private static string DataVolume(string name, string owner, string ownerUid) => $$$$$"""
        {"apiVersion":"cdi.kubevirt.io/v1beta1","kind":"DataVolume",
         "metadata":{"name":"{{{{{name}}}}}","namespace":"{{{{{Ns}}}}}","labels":{"vers.sh/org":"acme"},
           "ownerReferences":[{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","name":"{{{{{owner}}}}}","uid":"{{{{{ownerUid}}}}}","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"source":{"snapshot":{"namespace":"vers","name":"snap-node-latest-root"}},
           "storage":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"5Gi"}},"storageClassName":"local-path","volumeMode":"Filesystem"}}}
        """;

    private static string Event(string name, int i) => $$$$$"""
        {"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"{{{{{name}}}}}","namespace":"{{{{{Ns}}}}}"},
         "eventTime":"2025-01-01T00:00:00.000000Z","reportingController":"vers.sh/operator","reportingInstance":"vers-operator-0",
         "action":"Fork","reason":"ForkSucceeded","type":"Normal","note":"Forked vers/node:latest into acme/node ({{{{{i.ToString(CultureInfo.InvariantCulture)}}}}})",
         "regarding":{"apiVersion":"vers.sh/v1alpha1","kind":"RepositoryFork","namespace":"{{{{{Ns}}}}}","name":"fork-{{{{{i.ToString(CultureInfo.InvariantCulture)}}}}}","uid":"{{{{{Guid.NewGuid()}}}}}"}}
        """;
}
