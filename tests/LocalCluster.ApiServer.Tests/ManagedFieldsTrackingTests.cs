using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer.Patching;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// managedFields bookkeeping of non-apply writes, checked against the full recomputation the field manager used to do
/// (kept as the oracle, <see cref="ManagedFieldsOracle"/>): every entry decoded into a field set, the whole object
/// compared, every entry encoded afresh. The field manager now leaves the entries a write does not touch as they were read and compares only what
/// the endpoint keeps; what it records must not change, byte for byte.
/// </summary>
public sealed class ManagedFieldsTrackingTests
{
    private static readonly string[] Managers = ["alice", "bob", "carol"];

    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("gizmo")]
    [InlineData("deployment")]
    [InlineData("configmap")]
    public void Random_writes_by_three_managers_record_the_managedFields_the_full_recomputation_records(string kind)
    {
        for (var seed = 1; seed <= 12; seed++)
        {
            RunSequence(kind, seed, steps: 40);
        }
    }

    private static void RunSequence(string kind, int seed, int steps)
    {
        var (type, apiVersion) = TypeOf(kind);
        var hasStatus = type.Version(type.StorageVersion)?.HasStatus == true;
        var rng = new Random(seed);
        var time = new FakeTimeProvider(Start);
        string? stored = null;
        for (var step = 0; step < steps; step++)
        {
            // Entries often share a second: the encoding then orders them by manager.
            time.Advance(TimeSpan.FromSeconds(rng.Next(3)));
            var manager = Managers[rng.Next(Managers.Length)];
            var op = rng.Next(10);
            if (stored is not null && kind == "gizmo" && op < 2)
            {
                // Applies are not compared (the oracle covers updates), but leave Apply entries for the updates after them.
                stored = Apply(type, apiVersion, manager, op == 1 ? "status" : null, time, stored, rng);
                continue;
            }

            var subresource = stored is not null && hasStatus && op < 5 ? "status" : null;
            var updated = stored is null ? NewObject(kind, rng) : Parse(stored)!;
            if (stored is not null)
            {
                Mutate(kind, updated, subresource, rng);
            }

            var json = updated.ToJsonString();
            var actual = Parse(json)!;
            new FieldManager(type, apiVersion, manager, subresource, time).Track(Parse(stored), actual);
            var expected = Parse(json)!;
            ManagedFieldsOracle.Track(type, apiVersion, manager, subresource, Meta.Timestamp(time.GetUtcNow()), Parse(stored), expected);

            var got = actual.ToJsonString();
            Assert.True(got == expected.ToJsonString(),
                $"{kind}, seed {seed}, step {step}: {manager} {subresource ?? "main"}\nbefore:   {Parse(stored)?["metadata"]?["managedFields"]?.ToJsonString()}\n"
                + $"expected: {expected["metadata"]?["managedFields"]?.ToJsonString()}\nactual:   {actual["metadata"]?["managedFields"]?.ToJsonString()}");
            stored = got;
        }
    }

    private static JsonObject? Parse(string? json) => json is null ? null : JsonNode.Parse(json)!.AsObject();

    private static (ResourceType Type, string ApiVersion) TypeOf(string kind)
    {
        var registry = new ResourceRegistry();
        return kind switch
        {
            "gizmo" => (ResourceRegistry.FromCrd(JsonNode.Parse(ServerSideApplyTests.GizmoCrdJson)!.AsObject()), "example.com/v1"),
            "deployment" => (registry.Builtins.Single(t => t.Builtin == BuiltinKind.Deployment), "apps/v1"),
            _ => (registry.Builtins.Single(t => t.Builtin == BuiltinKind.ConfigMap), "v1"),
        };
    }

    /// <summary>A server-side apply through the field manager, with the store's status handling.</summary>
    private static string Apply(ResourceType type, string apiVersion, string manager, string? subresource, TimeProvider time, string stored, Random rng)
    {
        var config = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = type.Kind, ["metadata"] = new JsonObject { ["name"] = "o1" } };
        if (subresource == "status")
        {
            config["status"] = GizmoStatus(new JsonObject(), rng);
        }
        else
        {
            config["spec"] = GizmoSpec(new JsonObject(), rng);
        }

        var fields = new FieldManager(type, apiVersion, manager, subresource, time);
        var merged = fields.Apply(Parse(stored), config, force: true);
        var updated = merged;
        if (subresource == "status")
        {
            updated = Parse(stored)!;
            updated.Remove("status");
            if (merged["status"] is { } status)
            {
                updated["status"] = status.DeepClone();
            }
        }
        else
        {
            updated.Remove("status");
            if (Parse(stored)!["status"] is { } status)
            {
                updated["status"] = status.DeepClone();
            }
        }

        fields.Track(Parse(stored), updated);
        return updated.ToJsonString();
    }

    private static JsonObject NewObject(string kind, Random rng)
    {
        var o = new JsonObject { ["apiVersion"] = TypeOf(kind).ApiVersion, ["kind"] = kind switch { "gizmo" => "Gizmo", "deployment" => "Deployment", _ => "ConfigMap" } };
        o["metadata"] = new JsonObject { ["name"] = "o1", ["namespace"] = "default", ["uid"] = "u1", ["resourceVersion"] = "1" };
        Mutate(kind, o, null, rng);
        return o;
    }

    /// <summary>
    /// Changes some fields of the object. Status writes change status and, now and then, other fields too (which the store
    /// would have reset, and the bookkeeping must ignore either way); writes of the main resource change the rest, send
    /// back the managedFields they read, none, or ones of their own, and now and then change status too.
    /// </summary>
    private static void Mutate(string kind, JsonObject o, string? subresource, Random rng)
    {
        var changeStatus = subresource == "status" || rng.Next(4) == 0;
        var changeRest = subresource != "status" || rng.Next(4) == 0;
        if (changeStatus && kind != "configmap")
        {
            var status = o["status"] as JsonObject ?? new JsonObject();
            o.Remove("status");
            o["status"] = kind == "gizmo" ? GizmoStatus(status, rng) : DeploymentStatus(status, rng);
        }

        if (changeRest)
        {
            var meta = o["metadata"]!.AsObject();
            Randomize(meta, "labels", rng, 4, () => Map(rng, ["app", "tier"], ["x", "y"]));
            Randomize(meta, "annotations", rng, 6, () => Map(rng, ["note"], ["a", "b"]));
            switch (kind)
            {
                case "gizmo":
                    o["spec"] = GizmoSpec(o["spec"] as JsonObject ?? new JsonObject(), rng);
                    break;
                case "deployment":
                    o["spec"] = DeploymentSpec(o["spec"] as JsonObject ?? new JsonObject(), rng);
                    break;
                default:
                    Randomize(o, "data", rng, 2, () => Map(rng, ["a", "b", "c"], ["1", "2"]));
                    break;
            }
        }

        if (subresource is null && o["metadata"]!["managedFields"] is JsonArray sent)
        {
            switch (rng.Next(10))
            {
                case 6 or 7:
                    o["metadata"]!.AsObject().Remove("managedFields");
                    break;
                case 8:
                    // The same entries in another order: the client's own managedFields.
                    o["metadata"]!["managedFields"] = new JsonArray([.. sent.Reverse().Select(e => e?.DeepClone())]);
                    break;
                case 9:
                    o["metadata"]!["managedFields"] = new JsonArray([.. sent.Skip(1).Select(e => e?.DeepClone())]);
                    break;
            }
        }
    }

    private static JsonObject GizmoSpec(JsonObject spec, Random rng)
    {
        spec = spec.DeepClone().AsObject();
        Randomize(spec, "size", rng, 3, () => rng.Next(4) == 0 ? null : JsonValue.Create(rng.Next(1, 4)));
        Randomize(spec, "color", rng, 3, () => Pick(rng, null, "red", "blue"));
        Randomize(spec, "tags", rng, 3, () => rng.Next(4) == 0 ? null : Strings(Subset(rng, "a", "b", "c")));
        Randomize(spec, "args", rng, 4, () => rng.Next(3) == 0 ? null : Strings(Subset(rng, "x", "y")));
        Randomize(spec, "ports", rng, 3, () => rng.Next(4) == 0 ? null : new JsonArray([.. Subset(rng, "http", "metrics", "admin").Select(n => (JsonNode)Item("name", n, "port", rng.Next(3) == 0 ? null : JsonValue.Create(rng.Next(80, 82))))]));
        return spec;
    }

    private static JsonObject GizmoStatus(JsonObject status, Random rng)
    {
        status = status.DeepClone().AsObject();
        Randomize(status, "phase", rng, 2, () => Pick(rng, null, "Pending", "Ready"));
        Randomize(status, "conditions", rng, 2, () => Conditions(rng, "Ready", "Synced"));
        return status;
    }

    private static JsonObject DeploymentSpec(JsonObject spec, Random rng)
    {
        spec = spec.DeepClone().AsObject();
        spec["selector"] ??= new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "d" } };
        Randomize(spec, "replicas", rng, 3, () => JsonValue.Create(rng.Next(1, 4)));
        if (spec["template"] is null || rng.Next(2) == 0)
        {
            var labels = Map(rng, ["tier"], ["x", "y"]) ?? new JsonObject();
            labels["app"] = "d";
            var containers = Subset(rng, "app", "sidecar").Select(n =>
            {
                var c = new JsonObject { ["name"] = n, ["image"] = Pick(rng, "img:1", "img:2") };
                if (rng.Next(2) == 0)
                {
                    c["env"] = new JsonArray([.. Subset(rng, "A", "B").Select(e => (JsonNode)Item("name", e, "value", Pick(rng, "1", "2")))]);
                }

                return (JsonNode)c;
            });
            spec["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = labels }, ["spec"] = new JsonObject { ["containers"] = new JsonArray([.. containers]) } };
        }

        return spec;
    }

    private static JsonObject DeploymentStatus(JsonObject status, Random rng)
    {
        status = status.DeepClone().AsObject();
        Randomize(status, "replicas", rng, 2, () => JsonValue.Create(rng.Next(0, 3)));
        Randomize(status, "readyReplicas", rng, 2, () => rng.Next(3) == 0 ? null : JsonValue.Create(rng.Next(0, 3)));
        Randomize(status, "conditions", rng, 2, () => Conditions(rng, "Available", "Progressing"));
        return status;
    }

    /// <summary>Replaces (or, for null, removes) a field one time in <paramref name="oneIn"/>.</summary>
    private static void Randomize(JsonObject o, string key, Random rng, int oneIn, Func<JsonNode?> make)
    {
        if (rng.Next(oneIn) != 0)
        {
            return;
        }

        o.Remove(key);
        if (make() is { } value)
        {
            o[key] = value;
        }
    }

    private static JsonArray? Conditions(Random rng, params string[] types) =>
        rng.Next(4) == 0
            ? null
            : new JsonArray([.. Subset(rng, types).Select(t =>
            {
                var c = Item("type", t, "status", Pick(rng, "True", "False"));
                if (rng.Next(2) == 0)
                {
                    c["reason"] = Pick(rng, "Done", "Waiting");
                }

                return (JsonNode)c;
            })]);

    private static JsonObject Item(string key, string value, string other, JsonNode? otherValue)
    {
        var item = new JsonObject { [key] = value };
        if (otherValue is not null)
        {
            item[other] = otherValue;
        }

        return item;
    }

    private static JsonObject? Map(Random rng, string[] keys, string[] values)
    {
        var map = new JsonObject();
        foreach (var k in keys.Where(_ => rng.Next(2) == 0))
        {
            map[k] = values[rng.Next(values.Length)];
        }

        return map.Count == 0 && rng.Next(2) == 0 ? null : map;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    private static List<string> Subset(Random rng, params string[] items) => [.. items.Where(_ => rng.Next(2) == 0)];

    private static JsonValue? Pick(Random rng, params string?[] values) => values[rng.Next(values.Length)] is { } v ? JsonValue.Create(v) : null;
}
