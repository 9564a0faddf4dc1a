using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vers.Kube;
using Vers.Kube.Controllers;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Controllers;

public sealed class ControllerTests
{
    private static readonly ResourceType Secrets = new("", "v1", "secrets", "Secret");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Reconciler(Func<V1ConfigMap, CancellationToken, Task<ReconcileResult>> reconcile) : IReconciler<V1ConfigMap>
    {
        public Task<ReconcileResult> ReconcileAsync(V1ConfigMap obj, CancellationToken ct) => reconcile(obj, ct);
    }

    /// <summary>A controller over the configmaps of an API server, its informers running until disposed.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        private readonly List<Task> _tasks = [];

        public Harness(ApiServer server, string name, IReconciler<V1ConfigMap> reconciler, ControllerOptions options)
        {
            Name = name;
            ConfigMaps = new ResourceInformer<V1ConfigMap>(server.Client, ApiServer.ConfigMaps, NullLoggerFactory.Instance);
            Controller = new Controller<V1ConfigMap>(name, ConfigMaps, reconciler, NullLoggerFactory.Instance, options);
        }

        public string Name { get; }

        public ResourceInformer<V1ConfigMap> ConfigMaps { get; }

        public Controller<V1ConfigMap> Controller { get; }

        public void Run<T>(ResourceInformer<T> informer)
            where T : class, k8s.IKubernetesObject<V1ObjectMeta> =>
            _tasks.Add(Task.Run(() => informer.RunAsync(_stop.Token), CancellationToken.None));

        public void Start()
        {
            Run(ConfigMaps);
            _tasks.Add(Task.Run(() => Controller.RunAsync(_stop.Token), CancellationToken.None));
        }

        /// <summary>controller_runtime_reconcile_total{controller,result}: bumped right before the controller (re)queues a key.</summary>
        public double Reconciles(string result) =>
            Prometheus.Metrics.CreateCounter("controller_runtime_reconcile_total", "Total number of reconciliations per controller.", "controller", "result")
                .WithLabels(Name, result).Value;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_tasks);
            _stop.Dispose();
        }
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            try
            {
                await Task.Delay(5, timeout.Token);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                throw new TimeoutException($"not {what} within 10 s");
            }
        }
    }

    /// <summary>
    /// Advances fake time a millisecond at a time until the controller has work again; answers the fake time that
    /// took and waits for the attempt. Independent of how fast the machine is: the queue's timer fires inside
    /// <see cref="FakeTimeProvider.Advance"/>, so whether a retry fell due is known right after each step.
    /// </summary>
    private static async Task<TimeSpan> AdvanceUntilAsync(FakeTimeProvider time, Observed<DateTimeOffset> attempts, Harness harness, TimeSpan limit)
    {
        // The failed attempt's key must be back in the queue's delay heap first (Done runs after the error is counted).
        await UntilAsync(() => harness.Controller.Unfinished == 0, "idle");
        var start = time.GetUtcNow();
        while (time.GetUtcNow() - start <= limit)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            var elapsed = time.GetUtcNow() - start;
            if (attempts.TryNext(out _))
            {
                return elapsed;
            }

            if (harness.Controller.Unfinished > 0)
            {
                await attempts.NextAsync(_ => true);
                return elapsed;
            }
        }

        throw new TimeoutException($"no retry within {limit} of fake time");
    }

    [Fact]
    public async Task A_reconciler_that_throws_is_retried_with_exponential_backoff()
    {
        await using var server = await ApiServer.StartAsync();
        var time = new FakeTimeProvider();
        var attempts = new Observed<DateTimeOffset>();
        var count = 0;
        var reconciler = new Reconciler((_, _) =>
        {
            attempts.Add(time.GetUtcNow());
            return Interlocked.Increment(ref count) <= 3 ? throw new InvalidOperationException("transient") : Task.FromResult(ReconcileResult.Done);
        });
        await using var harness = new Harness(server, "ctl-backoff", reconciler, new ControllerOptions { Time = time });
        harness.Start();

        await server.CreateConfigMapAsync("a");
        await attempts.NextAsync(_ => true);

        var gaps = new List<TimeSpan>();
        for (var retry = 1; retry <= 3; retry++)
        {
            var errors = retry;
            await UntilAsync(() => harness.Reconciles("error") >= errors, "failed");
            gaps.Add(await AdvanceUntilAsync(time, attempts, harness, TimeSpan.FromSeconds(1)));
        }

        // 5 ms, 10 ms, 20 ms; never earlier (at most a step late if the retry timer was set a moment after the failure).
        Assert.InRange(gaps[0].TotalMilliseconds, 5, 7);
        Assert.InRange(gaps[1].TotalMilliseconds, 10, 12);
        Assert.InRange(gaps[2].TotalMilliseconds, 20, 22);
        Assert.Equal(4, count);
    }

    [Fact]
    public async Task Success_after_failures_resets_the_backoff()
    {
        await using var server = await ApiServer.StartAsync();
        var time = new FakeTimeProvider();
        var attempts = new Observed<DateTimeOffset>();
        var fail = true;
        var reconciler = new Reconciler((_, _) =>
        {
            attempts.Add(time.GetUtcNow());
            return Volatile.Read(ref fail) ? throw new InvalidOperationException("transient") : Task.FromResult(ReconcileResult.Done);
        });
        await using var harness = new Harness(server, "ctl-reset", reconciler, new ControllerOptions { Time = time });
        harness.Start();
        await server.CreateConfigMapAsync("a");
        await attempts.NextAsync(_ => true);
        await UntilAsync(() => harness.Reconciles("error") >= 1, "failed");
        await AdvanceUntilAsync(time, attempts, harness, TimeSpan.FromSeconds(1));
        await UntilAsync(() => harness.Reconciles("error") >= 2, "failed twice");
        Volatile.Write(ref fail, false);
        await AdvanceUntilAsync(time, attempts, harness, TimeSpan.FromSeconds(1));
        await UntilAsync(() => harness.Reconciles("success") >= 1, "succeeded");

        Volatile.Write(ref fail, true);
        await server.UpdateConfigMapAsync("a", "2");
        await attempts.NextAsync(_ => true);
        await UntilAsync(() => harness.Reconciles("error") >= 3, "failed again");

        Assert.InRange((await AdvanceUntilAsync(time, attempts, harness, TimeSpan.FromSeconds(1))).TotalMilliseconds, 5, 7);
    }

    [Fact]
    public async Task RequeueAfter_runs_the_reconciler_again_once_that_time_has_passed()
    {
        await using var server = await ApiServer.StartAsync();
        var time = new FakeTimeProvider();
        var attempts = new Observed<DateTimeOffset>();
        var reconciler = new Reconciler((_, _) =>
        {
            attempts.Add(time.GetUtcNow());
            return Task.FromResult(ReconcileResult.After(TimeSpan.FromSeconds(30)));
        });
        await using var harness = new Harness(server, "ctl-requeue", reconciler, new ControllerOptions { Time = time });
        harness.Start();
        await server.CreateConfigMapAsync("a");
        await attempts.NextAsync(_ => true);
        await UntilAsync(() => harness.Reconciles("requeue_after") >= 1, "requeued");

        time.Advance(TimeSpan.FromSeconds(29));
        await Assert.ThrowsAsync<TimeoutException>(() => attempts.NextAsync(_ => true, TimeSpan.FromMilliseconds(200)));

        time.Advance(TimeSpan.FromSeconds(1));
        await attempts.NextAsync(_ => true);
    }

    [Fact]
    public async Task One_key_is_never_reconciled_concurrently_by_four_workers()
    {
        await using var server = await ApiServer.StartAsync();
        var inFlight = new ConcurrentDictionary<string, int>();
        var total = 0;
        var maxPerKey = 0;
        var maxTotal = 0;
        var lastSeen = new ConcurrentDictionary<string, string>();
        var reconciler = new Reconciler(async (cm, ct) =>
        {
            var mine = inFlight.AddOrUpdate(cm.Metadata.Name, 1, (_, n) => n + 1);
            var all = Interlocked.Increment(ref total);
            InterlockedMax(ref maxPerKey, mine);
            InterlockedMax(ref maxTotal, all);
            await Task.Delay(15, ct);
            lastSeen[cm.Metadata.Name] = cm.Data["value"];
            Interlocked.Decrement(ref total);
            inFlight.AddOrUpdate(cm.Metadata.Name, 0, (_, n) => n - 1);
            return ReconcileResult.Done;
        });
        await using var harness = new Harness(server, "ctl-concurrency", reconciler, new ControllerOptions { Workers = 4 });
        harness.Start();
        var names = new[] { "a", "b", "c", "d" };

        foreach (var name in names)
        {
            await server.CreateConfigMapAsync(name, value: "0");
        }

        await Task.WhenAll(names.Select(async name =>
        {
            for (var i = 1; i <= 15; i++)
            {
                await server.UpdateConfigMapAsync(name, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }));

        // Level-triggered: each key's last state is reconciled eventually.
        await UntilAsync(() => names.All(n => lastSeen.TryGetValue(n, out var v) && v == "15"), "reconciled to the last value");
        Assert.Equal(1, maxPerKey);
        Assert.True(maxTotal > 1, "the four workers never overlapped; the test proves nothing");
    }

    [Fact]
    public async Task Watches_maps_events_of_another_kind_to_the_owner_keys()
    {
        await using var server = await ApiServer.StartAsync();
        var reconciled = new Observed<string>();
        var reconciler = new Reconciler((cm, _) =>
        {
            reconciled.Add(cm.Metadata.Name);
            return Task.FromResult(ReconcileResult.Done);
        });
        await using var harness = new Harness(server, "ctl-watches", reconciler, new ControllerOptions());
        var secrets = new ResourceInformer<V1Secret>(server.Client, Secrets, NullLoggerFactory.Instance);
        harness.Controller.Watches(secrets, s =>
            s.Metadata.Labels is { } l && l.TryGetValue("owner", out var owner) ? [new ObjectKey(s.Metadata.NamespaceProperty, owner)] : []);
        harness.Run(secrets);
        harness.Start();
        await server.CreateConfigMapAsync("owner1");
        await server.CreateConfigMapAsync("owner2");
        await reconciled.NextAsync(n => n == "owner1");
        await reconciled.NextAsync(n => n == "owner2");
        reconciled.Drain();

        await server.Rest.CreateAsync(Secrets, "default", new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = "child", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["owner"] = "owner2" } },
        }, Ct);

        Assert.Equal("owner2", await reconciled.NextAsync(_ => true));
        await server.Rest.DeleteAsync(Secrets, "default", "child", Ct);
        Assert.Equal("owner2", await reconciled.NextAsync(_ => true));
        Assert.DoesNotContain("owner1", reconciled.Drain());
    }

    [Fact]
    public async Task A_key_whose_object_is_gone_is_not_reconciled()
    {
        await using var server = await ApiServer.StartAsync();
        var reconciled = new Observed<string>();
        await using var harness = new Harness(server, "ctl-gone", new Reconciler((cm, _) =>
        {
            reconciled.Add(cm.Metadata.Name);
            return Task.FromResult(ReconcileResult.Done);
        }), new ControllerOptions());
        harness.Start();
        await server.CreateConfigMapAsync("present");
        await reconciled.NextAsync(n => n == "present");

        harness.Controller.Enqueue(new ObjectKey("default", "absent"));
        harness.Controller.Enqueue(new ObjectKey("default", "present"));

        Assert.Equal("present", await reconciled.NextAsync(_ => true));
        Assert.Empty(reconciled.Drain());
    }

    [Fact]
    public async Task The_reconciler_gets_a_copy_it_may_change_without_touching_the_cache()
    {
        await using var server = await ApiServer.StartAsync();
        var reconciled = new Observed<string>();
        await using var harness = new Harness(server, "ctl-copy", new Reconciler((cm, _) =>
        {
            cm.Data["value"] = "mutated";
            reconciled.Add(cm.Metadata.Name);
            return Task.FromResult(ReconcileResult.Done);
        }), new ControllerOptions());
        harness.Start();

        await server.CreateConfigMapAsync("a", value: "original");
        await reconciled.NextAsync(n => n == "a");

        Assert.Equal("original", harness.ConfigMaps.Get("default", "a")!.Data["value"]);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
