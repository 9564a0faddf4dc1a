using System.Net;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Structural-schema pruning, defaulting and validation of custom resources.</summary>
public sealed class SchemaValidationTests() : RawCrdTests(GadgetCrdJson)
{
    private const string Collection = "/apis/example.com/v1/namespaces/default/gadgets";

    public const string GadgetCrdJson = """
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": { "name": "gadgets.example.com" },
          "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": { "plural": "gadgets", "singular": "gadget", "kind": "Gadget" },
            "versions": [{
              "name": "v1", "served": true, "storage": true,
              "subresources": { "status": {} },
              "schema": { "openAPIV3Schema": {
                "type": "object",
                "properties": {
                  "spec": { "type": "object", "required": ["size", "color"], "properties": {
                    "size": { "type": "integer", "minimum": 1, "maximum": 10 },
                    "ratio": { "type": "number", "minimum": 0, "exclusiveMinimum": true },
                    "color": { "type": "string", "enum": ["red", "blue"] },
                    "name": { "type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$" },
                    "tags": { "type": "array", "minItems": 1, "maxItems": 2, "items": { "type": "string" } },
                    "port": { "x-kubernetes-int-or-string": true },
                    "note": { "type": "string", "nullable": true },
                    "mode": { "type": "string", "default": "fast" },
                    "limits": { "type": "object", "default": {}, "properties": { "cpu": { "type": "integer", "default": 2 } } },
                    "extra": { "type": "object", "x-kubernetes-preserve-unknown-fields": true },
                    "frozen": { "type": "object", "properties": { "id": { "type": "string" } },
                                "x-kubernetes-validations": [{ "rule": "self == oldSelf", "message": "frozen is immutable" }] },
                    "checked": { "type": "string", "x-kubernetes-validations": [{ "rule": "self.size() > 100", "message": "never evaluated" }] },
                    "since": { "type": "string", "format": "date-time" },
                    "labels": { "type": "object", "additionalProperties": { "type": "string" } }
                  } },
                  "status": { "type": "object", "properties": {
                    "phase": { "type": "string", "enum": ["Pending", "Done"] },
                    "count": { "type": "integer" } } }
                }
              } }
            }]
          }
        }
        """;

    private static string Gadget(string name, string spec) =>
        $$"""{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"{{name}}"},"spec":{{spec}}}""";

    private Task<RawResponse> CreateAsync(string name, string spec, string query = "") => Api.PostAsync(Collection + query, Gadget(name, spec));

    private static void AssertInvalid(RawResponse r, params (string Reason, string Field, string Message)[] expected)
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Code);
        Assert.Equal("Invalid", r.Str("reason"));
        Assert.Equal("Failure", r.Str("status"));
        Assert.Equal("422", r.Str("code"));
        Assert.Equal("Gadget", r.Str("details", "kind"));
        Assert.Equal("example.com", r.Str("details", "group"));
        var causes = r.Causes();
        foreach (var e in expected)
        {
            Assert.Contains(e, causes);
        }

        Assert.Equal(expected.Length, causes.Count);
    }

    [Fact]
    public async Task Missing_required_field_and_wrong_type_are_collected_into_one_422()
    {
        var r = await CreateAsync("g1", """{"size":"big"}""");
        AssertInvalid(r,
            ("FieldValueRequired", "spec.color", "Required value"),
            ("FieldValueTypeInvalid", "spec.size", "Invalid value: \"string\": spec.size in body must be of type integer: \"string\""));
        Assert.StartsWith("Gadget.example.com \"g1\" is invalid: [", r.Str("message"));
        Assert.Contains("spec.color: Required value", r.Str("message"));
        Assert.Equal(HttpStatusCode.NotFound, (await Api.GetAsync(Collection + "/g1")).Code);
    }

    [Fact]
    public async Task Enum_violation_is_FieldValueNotSupported_listing_supported_values()
    {
        var r = await CreateAsync("g1", """{"size":1,"color":"green"}""");
        AssertInvalid(r, ("FieldValueNotSupported", "spec.color", "Unsupported value: \"green\": supported values: \"red\", \"blue\""));
        Assert.Equal("Gadget.example.com \"g1\" is invalid: spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"", r.Str("message"));
    }

    [Fact]
    public async Task Minimum_maximum_and_exclusive_minimum_are_enforced()
    {
        AssertInvalid(await CreateAsync("g1", """{"size":0,"color":"red","ratio":0}"""),
            ("FieldValueInvalid", "spec.size", "Invalid value: 0: spec.size in body should be greater than or equal to 1"),
            ("FieldValueInvalid", "spec.ratio", "Invalid value: 0: spec.ratio in body should be greater than 0"));
        AssertInvalid(await CreateAsync("g1", """{"size":11,"color":"red"}"""),
            ("FieldValueInvalid", "spec.size", "Invalid value: 11: spec.size in body should be less than or equal to 10"));
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g1", """{"size":10,"color":"red","ratio":0.5}""")).Code);
    }

    [Fact]
    public async Task String_lengths_and_pattern_are_enforced()
    {
        AssertInvalid(await CreateAsync("g1", """{"size":1,"color":"red","name":"abcdefg"}"""),
            ("FieldValueTooLong", "spec.name", "Too long: may not be more than 5 bytes"));
        AssertInvalid(await CreateAsync("g1", """{"size":1,"color":"red","name":"A"}"""),
            ("FieldValueInvalid", "spec.name", "Invalid value: \"A\": spec.name in body should be at least 2 chars long"),
            ("FieldValueInvalid", "spec.name", "Invalid value: \"A\": spec.name in body should match '^[a-z]+$'"));
    }

    [Fact]
    public async Task Array_item_counts_and_item_types_are_enforced()
    {
        AssertInvalid(await CreateAsync("g1", """{"size":1,"color":"red","tags":[]}"""),
            ("FieldValueInvalid", "spec.tags", "Invalid value: \"\": spec.tags in body should have at least 1 items"));
        AssertInvalid(await CreateAsync("g1", """{"size":1,"color":"red","tags":["a","b",3]}"""),
            ("FieldValueTooMany", "spec.tags", "Too many: 3: must have at most 2 items"),
            ("FieldValueTypeInvalid", "spec.tags[2]", "Invalid value: \"integer\": spec.tags[2] in body must be of type string: \"integer\""));
    }

    [Fact]
    public async Task Int_or_string_accepts_both_and_rejects_others()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g1", """{"size":1,"color":"red","port":80}""")).Code);
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g2", """{"size":1,"color":"red","port":"http"}""")).Code);
        AssertInvalid(await CreateAsync("g3", """{"size":1,"color":"red","port":true}"""),
            ("FieldValueTypeInvalid", "spec.port", "Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""));
    }

    [Fact]
    public async Task Date_time_format_is_checked()
    {
        AssertInvalid(await CreateAsync("g1", """{"size":1,"color":"red","since":"yesterday"}"""),
            ("FieldValueInvalid", "spec.since", "Invalid value: \"yesterday\": spec.since in body must be of type date-time: \"yesterday\""));
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g1", """{"size":1,"color":"red","since":"2026-01-02T03:04:05.123456Z"}""")).Code);
    }

    [Fact]
    public async Task Defaults_fill_absent_fields_top_down_and_null_unless_nullable()
    {
        var r = await CreateAsync("g1", """{"size":1,"color":"red","mode":null,"note":null}""");
        Assert.Equal(HttpStatusCode.Created, r.Code);
        Assert.Equal("fast", r.Str("spec", "mode"));
        Assert.Equal("2", r.Str("spec", "limits", "cpu"));
        Assert.True(r.Body!["spec"]!.AsObject().ContainsKey("note"));
        Assert.Null(r.Body!["spec"]!["note"]);
        var stored = await Api.GetAsync(Collection + "/g1");
        Assert.Equal("fast", stored.Str("spec", "mode"));
    }

    [Fact]
    public async Task Defaults_added_to_the_crd_later_are_applied_when_reading_stored_objects()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g1", """{"size":1,"color":"red"}""")).Code);
        Assert.Null((await Api.GetAsync(Collection + "/g1")).Str("spec", "shade"));
        var patch = await Api.PatchAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com",
            """[{"op":"add","path":"/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/shade","value":{"type":"string","default":"dark"}}]""",
            "application/json-patch+json");
        Assert.Equal(HttpStatusCode.OK, patch.Code);
        Assert.Equal("dark", (await Api.GetAsync(Collection + "/g1")).Str("spec", "shade"));
        var list = await Api.GetAsync(Collection);
        Assert.Equal("dark", list.Body!["items"]![0]!["spec"]!["shade"]!.ToString());
    }

    [Fact]
    public async Task Unknown_fields_are_pruned_with_a_warning_by_default()
    {
        var r = await Api.PostAsync(Collection,
            """{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1","bogus":1},"spec":{"size":1,"color":"red","foo":"x","extra":{"anything":{"goes":true}}},"top":1}""");
        Assert.Equal(HttpStatusCode.Created, r.Code);
        Assert.Null(r.Body!["spec"]!["foo"]);
        Assert.Null(r.Body["top"]);
        Assert.Null(r.Body["metadata"]!["bogus"]);
        Assert.Equal("true", r.Str("spec", "extra", "anything", "goes"));
        Assert.Contains("299 - \"unknown field \\\"spec.foo\\\"\"", r.Warnings);
        Assert.Contains("299 - \"unknown field \\\"top\\\"\"", r.Warnings);
        Assert.Contains("299 - \"unknown field \\\"metadata.bogus\\\"\"", r.Warnings);
        Assert.Null((await Api.GetAsync(Collection + "/g1")).Body!["spec"]!["foo"]);
    }

    [Fact]
    public async Task Strict_field_validation_refuses_unknown_fields_with_400()
    {
        var r = await CreateAsync("g1", """{"size":1,"color":"red","foo":"x","bar":1}""", "?fieldValidation=Strict");
        Assert.Equal(HttpStatusCode.BadRequest, r.Code);
        Assert.Equal("BadRequest", r.Str("reason"));
        Assert.Equal("Gadget in version \"v1\" cannot be handled as a Gadget: strict decoding error: unknown field \"spec.foo\", unknown field \"spec.bar\"", r.Str("message"));
        Assert.Equal(HttpStatusCode.NotFound, (await Api.GetAsync(Collection + "/g1")).Code);

        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g1", """{"size":1,"color":"red"}""", "?fieldValidation=Strict")).Code);
        var patch = await Api.PatchAsync(Collection + "/g1?fieldValidation=Strict", """{"spec":{"foo":"x"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, patch.Code);
    }

    [Fact]
    public async Task Ignore_field_validation_prunes_silently()
    {
        var r = await CreateAsync("g1", """{"size":1,"color":"red","foo":"x"}""", "?fieldValidation=Ignore");
        Assert.Equal(HttpStatusCode.Created, r.Code);
        Assert.Empty(r.Warnings);
        Assert.Null(r.Body!["spec"]!["foo"]);
    }

    [Fact]
    public async Task Invalid_update_patch_and_apply_are_refused_and_leave_the_object_unchanged()
    {
        var created = await CreateAsync("g1", """{"size":1,"color":"red"}""");
        var rv = created.Str("metadata", "resourceVersion");

        var put = await Api.PutAsync(Collection + "/g1", $$$"""{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1","resourceVersion":"{{{rv}}}"},"spec":{"size":99,"color":"red"}}""");
        AssertInvalid(put, ("FieldValueInvalid", "spec.size", "Invalid value: 99: spec.size in body should be less than or equal to 10"));

        var merge = await Api.PatchAsync(Collection + "/g1", """{"spec":{"color":null}}""");
        AssertInvalid(merge, ("FieldValueRequired", "spec.color", "Required value"));

        var apply = await Api.PatchAsync(Collection + "/g1?fieldManager=test", """{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1"},"spec":{"color":"green"}}""", "application/apply-patch+yaml");
        AssertInvalid(apply, ("FieldValueNotSupported", "spec.color", "Unsupported value: \"green\": supported values: \"red\", \"blue\""));

        var after = await Api.GetAsync(Collection + "/g1");
        Assert.Equal(rv, after.Str("metadata", "resourceVersion"));
        Assert.Equal("1", after.Str("spec", "size"));
    }

    [Fact]
    public async Task Status_writes_validate_status_and_main_writes_ignore_it()
    {
        var created = await Api.PostAsync(Collection, """{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1"},"spec":{"size":1,"color":"red"},"status":{"phase":"Bogus"}}""");
        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Null(created.Body!["status"]);

        var bad = await Api.PatchAsync(Collection + "/g1/status", """{"status":{"phase":"Bogus","count":"many"}}""");
        AssertInvalid(bad,
            ("FieldValueNotSupported", "status.phase", "Unsupported value: \"Bogus\": supported values: \"Pending\", \"Done\""),
            ("FieldValueTypeInvalid", "status.count", "Invalid value: \"string\": status.count in body must be of type integer: \"string\""));
        var good = await Api.PatchAsync(Collection + "/g1/status", """{"status":{"phase":"Done","count":3}}""");
        Assert.Equal(HttpStatusCode.OK, good.Code);
        Assert.Equal("Done", good.Str("status", "phase"));
    }

    [Fact]
    public async Task Self_equals_oldSelf_rule_refuses_changes_with_the_rule_message()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g1", """{"size":1,"color":"red","frozen":{"id":"a"}}""")).Code);
        var change = await Api.PatchAsync(Collection + "/g1", """{"spec":{"frozen":{"id":"b"}}}""");
        AssertInvalid(change, ("FieldValueInvalid", "spec.frozen", "Invalid value: \"object\": frozen is immutable"));
        Assert.Equal("Gadget.example.com \"g1\" is invalid: spec.frozen: Invalid value: \"object\": frozen is immutable", change.Str("message"));

        // Other fields stay mutable, and the rule only applies where an old value exists.
        Assert.Equal(HttpStatusCode.OK, (await Api.PatchAsync(Collection + "/g1", """{"spec":{"size":2}}""")).Code);
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g2", """{"size":1,"color":"red"}""")).Code);
        Assert.Equal(HttpStatusCode.OK, (await Api.PatchAsync(Collection + "/g2", """{"spec":{"frozen":{"id":"new"}}}""")).Code);
    }

    [Fact]
    public async Task Other_cel_rules_are_accepted_and_not_evaluated()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("g1", """{"size":1,"color":"red","checked":"short"}""")).Code);
    }

    [Fact]
    public async Task Dry_run_validates_without_persisting()
    {
        AssertInvalid(await CreateAsync("g1", """{"size":0,"color":"red"}""", "?dryRun=All"),
            ("FieldValueInvalid", "spec.size", "Invalid value: 0: spec.size in body should be greater than or equal to 1"));
        var ok = await CreateAsync("g1", """{"size":1,"color":"red"}""", "?dryRun=All");
        Assert.Equal(HttpStatusCode.Created, ok.Code);
        Assert.Equal("fast", ok.Str("spec", "mode"));
        Assert.Equal(HttpStatusCode.NotFound, (await Api.GetAsync(Collection + "/g1")).Code);
    }
}
