using System.Net;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// Server-side apply and managedFields: ownership per manager, removal of fields a manager stops
/// applying, conflicts and force, Update entries for other writes, list types and the status subresource.
/// </summary>
public sealed class ServerSideApplyTests() : RawCrdTests(GizmoCrdJson)
{
    private const string Gizmos = "/apis/example.com/v1/namespaces/default/gizmos";
    private const string ApplyType = "application/apply-patch+yaml";

    internal const string GizmoCrdJson = """
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": { "name": "gizmos.example.com" },
          "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": { "plural": "gizmos", "singular": "gizmo", "kind": "Gizmo" },
            "versions": [{
              "name": "v1", "served": true, "storage": true,
              "subresources": { "status": {} },
              "schema": { "openAPIV3Schema": {
                "type": "object",
                "properties": {
                  "spec": { "type": "object", "properties": {
                    "size": { "type": "integer" },
                    "color": { "type": "string" },
                    "tags": { "type": "array", "x-kubernetes-list-type": "set", "items": { "type": "string" } },
                    "args": { "type": "array", "items": { "type": "string" } },
                    "ports": { "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                               "items": { "type": "object", "required": ["name"], "properties": {
                                 "name": { "type": "string" }, "port": { "type": "integer" } } } }
                  } },
                  "status": { "type": "object", "properties": {
                    "phase": { "type": "string" },
                    "conditions": { "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"],
                                    "items": { "type": "object", "properties": {
                                      "type": { "type": "string" }, "status": { "type": "string" }, "reason": { "type": "string" } } } }
                  } }
                }
              } }
            }]
          }
        }
        """;

    private static string Gizmo(string spec, string name = "g1") =>
        $$"""{"apiVersion":"example.com/v1","kind":"Gizmo","metadata":{"name":"{{name}}"},"spec":{{spec}}}""";

    private Task<RawResponse> ApplyAsync(string manager, string body, bool force = false, string name = "g1", string? subresource = null) =>
        Api.PatchAsync($"{Gizmos}/{name}{(subresource is null ? "" : "/" + subresource)}?fieldManager={manager}{(force ? "&force=true" : "")}", body, ApplyType);

    private static JsonArray ManagedFields(RawResponse r) => r.Body!["metadata"]!["managedFields"] as JsonArray ?? [];

    private static JsonObject Entry(RawResponse r, string manager, string operation = "Apply", string? subresource = null) =>
        ManagedFields(r).OfType<JsonObject>().Single(e => e["manager"]!.ToString() == manager && e["operation"]!.ToString() == operation
                                                         && e["subresource"]?.ToString() == subresource);

    private static bool Has(RawResponse r, string manager) => ManagedFields(r).Any(e => e!["manager"]!.ToString() == manager);

    private static void Fields(string expected, JsonObject entry) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), entry["fieldsV1"]), $"fieldsV1 was {entry["fieldsV1"]!.ToJsonString()}");

    [Fact]
    public async Task Apply_creates_the_object_and_records_an_Apply_entry_with_exactly_the_applied_fields()
    {
        var r = await ApplyAsync("alice", Gizmo("""{"size":3,"color":"red"}"""));

        Assert.Equal(HttpStatusCode.Created, r.Code);
        var entry = Assert.Single(ManagedFields(r))!.AsObject();
        Assert.Equal("alice", entry["manager"]!.ToString());
        Assert.Equal("Apply", entry["operation"]!.ToString());
        Assert.Equal("example.com/v1", entry["apiVersion"]!.ToString());
        Assert.Equal("FieldsV1", entry["fieldsType"]!.ToString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", entry["time"]!.ToString());
        Fields("""{"f:spec":{"f:color":{},"f:size":{}}}""", entry);
    }

    [Fact]
    public async Task A_second_apply_without_a_field_removes_it()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3,"color":"red"}"""));

        var r = await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Null(r.Body!["spec"]!["color"]);
        Fields("""{"f:spec":{"f:size":{}}}""", Entry(r, "alice"));
    }

    [Fact]
    public async Task A_dropped_field_another_manager_also_owns_is_kept()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3,"color":"red"}"""));
        await ApplyAsync("bob", Gizmo("""{"color":"red"}"""));

        var r = await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        Assert.Equal("red", r.Str("spec", "color"));
        Fields("""{"f:spec":{"f:color":{}}}""", Entry(r, "bob"));
    }

    [Fact]
    public async Task Two_managers_applying_the_same_value_share_ownership()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        var r = await ApplyAsync("bob", Gizmo("""{"size":3}"""));

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Fields("""{"f:spec":{"f:size":{}}}""", Entry(r, "alice"));
        Fields("""{"f:spec":{"f:size":{}}}""", Entry(r, "bob"));
    }

    [Fact]
    public async Task Applying_a_different_value_for_another_managers_field_is_a_409_with_the_causes()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3,"color":"red"}"""));

        var r = await ApplyAsync("bob", Gizmo("""{"size":4}"""));

        Assert.Equal(HttpStatusCode.Conflict, r.Code);
        Assert.Equal("Conflict", r.Str("reason"));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alice\": .spec.size", r.Str("message"));
        var cause = Assert.Single(r.Body!["details"]!["causes"]!.AsArray())!;
        Assert.Equal("FieldManagerConflict", cause["type"]!.ToString());
        Assert.Equal("conflict with \"alice\"", cause["message"]!.ToString());
        Assert.Equal(".spec.size", cause["field"]!.ToString());
        Assert.Equal("3", (await Api.GetAsync(Gizmos + "/g1")).Str("spec", "size"));
    }

    [Fact]
    public async Task A_conflict_with_an_Update_manager_names_its_apiVersion_and_counts_every_field()
    {
        await Api.PostAsync(Gizmos + "?fieldManager=editor", Gizmo("""{"size":3,"color":"red"}"""));

        var r = await ApplyAsync("bob", Gizmo("""{"size":4,"color":"blue"}"""));

        Assert.Equal(HttpStatusCode.Conflict, r.Code);
        Assert.Equal("Apply failed with 2 conflicts: conflicts with \"editor\" using example.com/v1:\n- .spec.color\n- .spec.size", r.Str("message"));
        Assert.Equal([".spec.color", ".spec.size"], r.Body!["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.ToString()));
    }

    [Fact]
    public async Task Force_takes_ownership_and_the_other_manager_loses_the_field()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3,"color":"red"}"""));

        var r = await ApplyAsync("bob", Gizmo("""{"size":4}"""), force: true);

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal("4", r.Str("spec", "size"));
        Fields("""{"f:spec":{"f:color":{}}}""", Entry(r, "alice"));
        Fields("""{"f:spec":{"f:size":{}}}""", Entry(r, "bob"));
    }

    [Fact]
    public async Task A_merge_patch_records_an_Update_entry_for_its_fieldManager()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        var r = await Api.PatchAsync(Gizmos + "/g1?fieldManager=editor", """{"spec":{"color":"blue"},"metadata":{"labels":{"app":"x"}}}""");

        Assert.Equal(HttpStatusCode.OK, r.Code);
        var entry = Entry(r, "editor", "Update");
        Assert.Equal("example.com/v1", entry["apiVersion"]!.ToString());
        Fields("""{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:color":{}}}""", entry);
        Assert.Equal("Apply", ManagedFields(r)[0]!["operation"]!.ToString());
    }

    [Fact]
    public async Task A_write_without_fieldManager_is_attributed_to_the_User_Agent_prefix()
    {
        var r = await Api.SendAsync(HttpMethod.Post, Gizmos, Gizmo("""{"size":3}"""), "application/json", userAgent: "gizmo-tool/1.2 (linux/amd64)");

        Assert.Equal(HttpStatusCode.Created, r.Code);
        Fields("""{"f:spec":{".":{},"f:size":{}}}""", Entry(r, "gizmo-tool", "Update"));
    }

    [Fact]
    public async Task An_update_that_changes_another_managers_field_takes_it_over()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3,"color":"red"}"""));

        var r = await Api.PatchAsync(Gizmos + "/g1?fieldManager=editor", """{"spec":{"size":5}}""");

        Fields("""{"f:spec":{"f:color":{}}}""", Entry(r, "alice"));
        Fields("""{"f:spec":{"f:size":{}}}""", Entry(r, "editor", "Update"));
    }

    [Fact]
    public async Task An_update_that_takes_over_a_field_removes_it_from_the_Update_entry_that_owned_it()
    {
        await Api.PostAsync(Gizmos + "?fieldManager=editor", Gizmo("""{"size":3,"color":"red"}"""));

        var r = await Api.PatchAsync(Gizmos + "/g1?fieldManager=tuner", """{"spec":{"size":5}}""");

        Fields("""{"f:spec":{".":{},"f:color":{}}}""", Entry(r, "editor", "Update"));
        Fields("""{"f:spec":{"f:size":{}}}""", Entry(r, "tuner", "Update"));
    }

    [Fact]
    public async Task An_entry_left_without_fields_by_an_update_is_dropped()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3}"""));
        await Api.PatchAsync(Gizmos + "/g1?fieldManager=editor", """{"spec":{"color":"red"}}""");

        var r = await Api.PatchAsync(Gizmos + "/g1?fieldManager=tuner", """{"spec":{"size":5}}""");

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.False(Has(r, "alice"));
        Fields("""{"f:spec":{"f:color":{}}}""", Entry(r, "editor", "Update"));
    }

    [Fact]
    public async Task Removing_a_field_takes_it_out_of_the_entry_that_owned_it()
    {
        await Api.PostAsync(Gizmos + "?fieldManager=editor", Gizmo("""{"size":3,"color":"red"}"""));

        var r = await Api.PatchAsync(Gizmos + "/g1?fieldManager=tuner", """{"spec":{"color":null}}""");

        Fields("""{"f:spec":{".":{},"f:size":{}}}""", Entry(r, "editor", "Update"));
    }

    [Fact]
    public async Task A_status_write_leaves_the_entry_of_the_spec_owner_exactly_as_it_was()
    {
        await Api.PostAsync(Gizmos + "?fieldManager=editor",
            """{"apiVersion":"example.com/v1","kind":"Gizmo","metadata":{"name":"g1","labels":{"app":"g"}},"spec":{"size":3,"tags":["a"],"ports":[{"name":"http","port":80}]}}""");
        var before = Entry(await Api.GetAsync(Gizmos + "/g1"), "editor", "Update").ToJsonString();

        var r = await Api.PatchAsync(Gizmos + "/g1/status?fieldManager=controller", """{"status":{"phase":"Ready"}}""");

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal(before, Entry(r, "editor", "Update").ToJsonString());
    }

    [Fact]
    public async Task A_status_write_attributes_only_status_fields_to_its_manager()
    {
        await Api.PostAsync(Gizmos + "?fieldManager=editor", Gizmo("""{"size":3}"""));

        var r = await Api.PatchAsync(Gizmos + "/g1/status?fieldManager=controller",
            """{"spec":{"size":9},"status":{"phase":"Ready","conditions":[{"type":"Ready","status":"True"}]}}""");

        Assert.Equal("3", r.Str("spec", "size"));
        Fields("""{"f:status":{".":{},"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:status":{},"f:type":{}}},"f:phase":{}}}""",
            Entry(r, "controller", "Update", "status"));
    }

    [Fact]
    public async Task Status_writes_record_subresource_status()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        var r = await Api.PatchAsync(Gizmos + "/g1/status?fieldManager=controller", """{"status":{"phase":"Ready"}}""");

        Assert.Equal(HttpStatusCode.OK, r.Code);
        var entry = Entry(r, "controller", "Update", "status");
        Fields("""{"f:status":{".":{},"f:phase":{}}}""", entry);
    }

    [Fact]
    public async Task Conditions_are_merged_by_type_across_managers_applying_status()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3}"""));
        const string Status = """{"apiVersion":"example.com/v1","kind":"Gizmo","metadata":{"name":"g1"},"status":{"conditions":[{"type":"%T","status":"True"}]}}""";

        var a = await ApplyAsync("ctrl-a", Status.Replace("%T", "Ready", StringComparison.Ordinal), subresource: "status");
        var r = await ApplyAsync("ctrl-b", Status.Replace("%T", "Synced", StringComparison.Ordinal), subresource: "status");

        Assert.Equal(HttpStatusCode.OK, a.Code);
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal(["Ready", "Synced"], r.Body!["status"]!["conditions"]!.AsArray().Select(c => c!["type"]!.ToString()));
        var entry = Entry(r, "ctrl-a", "Apply", "status");
        Fields("""{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:status":{},"f:type":{}}}}}""", entry);
        Fields("""{"f:status":{"f:conditions":{"k:{\"type\":\"Synced\"}":{".":{},"f:status":{},"f:type":{}}}}}""", Entry(r, "ctrl-b", "Apply", "status"));
    }

    [Fact]
    public async Task Dropping_a_condition_removes_only_that_managers_item()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3}"""));
        await ApplyAsync("ctrl-a", """{"apiVersion":"example.com/v1","kind":"Gizmo","metadata":{"name":"g1"},"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Old","status":"True"}]}}""", subresource: "status");
        await ApplyAsync("ctrl-b", """{"apiVersion":"example.com/v1","kind":"Gizmo","metadata":{"name":"g1"},"status":{"conditions":[{"type":"Synced","status":"True"}]}}""", subresource: "status");

        var r = await ApplyAsync("ctrl-a", """{"apiVersion":"example.com/v1","kind":"Gizmo","metadata":{"name":"g1"},"status":{"conditions":[{"type":"Ready","status":"False"}]}}""", subresource: "status");

        Assert.Equal(["Ready:False", "Synced:True"], r.Body!["status"]!["conditions"]!.AsArray().Select(c => $"{c!["type"]}:{c["status"]}"));
    }

    [Fact]
    public async Task Set_lists_are_a_union_across_managers_and_atomic_lists_are_replaced()
    {
        await ApplyAsync("alice", Gizmo("""{"tags":["a","b"],"args":["x"]}"""));

        var r = await ApplyAsync("bob", Gizmo("""{"tags":["c"]}"""));

        Assert.Equal(["a", "b", "c"], r.Body!["spec"]!["tags"]!.AsArray().Select(t => t!.ToString()));
        Fields("""{"f:spec":{"f:tags":{"v:\"c\"":{}}}}""", Entry(r, "bob"));
        Fields("""{"f:spec":{"f:args":{},"f:tags":{"v:\"a\"":{},"v:\"b\"":{}}}}""", Entry(r, "alice"));
        Assert.Equal(HttpStatusCode.Conflict, (await ApplyAsync("bob", Gizmo("""{"args":["y"]}"""))).Code);
    }

    [Fact]
    public async Task List_map_items_are_merged_by_key_and_conflict_per_field()
    {
        await ApplyAsync("alice", Gizmo("""{"ports":[{"name":"http","port":80}]}"""));

        var r = await ApplyAsync("bob", Gizmo("""{"ports":[{"name":"metrics","port":9090}]}"""));
        var conflict = await ApplyAsync("bob", Gizmo("""{"ports":[{"name":"http","port":8080}]}"""));

        Assert.Equal(["http", "metrics"], r.Body!["spec"]!["ports"]!.AsArray().Select(p => p!["name"]!.ToString()));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Code);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alice\": .spec.ports[name=\"http\"].port", conflict.Str("message"));
    }

    [Fact]
    public async Task A_repeated_apply_is_a_no_op_that_keeps_the_resourceVersion_and_generation()
    {
        var first = await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        var again = await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        Assert.Equal(first.Str("metadata", "resourceVersion"), again.Str("metadata", "resourceVersion"));
        Assert.Equal(first.Body!["metadata"]!["managedFields"]!.ToJsonString(), again.Body!["metadata"]!["managedFields"]!.ToJsonString());
    }

    [Fact]
    public async Task Ownership_changes_alone_do_not_bump_generation()
    {
        await ApplyAsync("alice", Gizmo("""{"size":3}"""));

        var r = await ApplyAsync("bob", Gizmo("""{"size":3}"""));

        Assert.Equal("1", r.Str("metadata", "generation"));
        Assert.True(Has(r, "bob"));
    }

    [Fact]
    public async Task Apply_without_fieldManager_is_a_400()
    {
        var r = await Api.PatchAsync(Gizmos + "/g1", Gizmo("""{"size":3}"""), ApplyType);

        Assert.Equal(HttpStatusCode.BadRequest, r.Code);
    }

    [Fact]
    public async Task A_put_carrying_managedFields_replaces_them_and_an_empty_entry_clears_them()
    {
        var created = await ApplyAsync("alice", Gizmo("""{"size":3}"""));
        var body = created.Body!.DeepClone().AsObject();
        body["metadata"]!["managedFields"] = JsonNode.Parse("""[{}]""");

        var r = await Api.PutAsync(Gizmos + "/g1?fieldManager=editor", body.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Empty(ManagedFields(r));
    }

    [Fact]
    public async Task Built_in_containers_are_merged_by_name_between_managers()
    {
        const string Deployments = "/apis/apps/v1/namespaces/default/deployments";
        const string Deployment = """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d1"},"spec":{"selector":{"matchLabels":{"app":"d"}},
             "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"%N","image":"%I"}]}}}}
            """;
        Assert.Equal(HttpStatusCode.Created, (await Api.PatchAsync(Deployments + "/d1?fieldManager=alice", Deployment.Replace("%N", "app", StringComparison.Ordinal).Replace("%I", "app:1", StringComparison.Ordinal), ApplyType)).Code);

        var r = await Api.PatchAsync(Deployments + "/d1?fieldManager=bob", Deployment.Replace("%N", "sidecar", StringComparison.Ordinal).Replace("%I", "proxy:1", StringComparison.Ordinal), ApplyType);

        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal(["app", "sidecar"], r.Body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.ToString()));
        var bob = Entry(r, "bob")["fieldsV1"]!["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!.AsObject();
        Assert.Equal(["k:{\"name\":\"sidecar\"}"], bob.Select(kv => kv.Key));
    }

    [Fact]
    public async Task Server_filled_status_of_a_created_CRD_is_not_attributed_to_its_creator()
    {
        var r = await Api.GetAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.com");

        var entry = Assert.Single(ManagedFields(r))!.AsObject();
        Assert.Equal("Update", entry["operation"]!.ToString());
        Assert.Null(entry["fieldsV1"]!["f:status"]);
        Assert.NotNull(entry["fieldsV1"]!["f:spec"]);
    }
}
