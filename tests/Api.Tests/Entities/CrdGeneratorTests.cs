using k8s.Models;
using Vers.Api;
using Vers.Api.Crds;
using Vers.Api.Tests.Support;

namespace Vers.Api.Tests.Entities;

public sealed class CrdGeneratorTests
{
    private static V1CustomResourceDefinition Crd(string kind) => CrdGenerator.All().Single(c => c.Spec.Names.Kind == kind);

    private static V1JSONSchemaProps Schema(string kind) => Crd(kind).Spec.Versions.Single().Schema.OpenAPIV3Schema;

    public static TheoryData<string> Kinds => ["Repository", "Commit", "Tag", "RepositoryFork"];

    [Fact]
    public void Config_crds_are_the_rendered_entity_types_byte_for_byte()
    {
        var directory = Path.Combine(RepoRoot.Find(), "config", "crds");
        var rendered = CrdGenerator.Render();
        const string fix = "config/crds is stale: run `dotnet run --project src/Operator -- crds config/crds` and commit the result";

        var onDisk = Directory.GetFiles(directory, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(
            rendered.Keys.Order(StringComparer.Ordinal).SequenceEqual(onDisk),
            $"{fix} (rendered files: {string.Join(", ", rendered.Keys.Order(StringComparer.Ordinal))}; on disk: {string.Join(", ", onDisk)})");
        foreach (var (file, yaml) in rendered)
        {
            var current = File.ReadAllText(Path.Combine(directory, file));
            Assert.True(current == yaml, $"{fix} ({file} differs)");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_property_of_the_schema_has_a_description(string kind)
    {
        var missing = new List<string>();
        Walk(Schema(kind), "", missing);

        Assert.True(missing.Count == 0, $"{kind}: properties without a description: {string.Join(", ", missing)}");

        static void Walk(V1JSONSchemaProps schema, string path, List<string> missing)
        {
            foreach (var (name, property) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
            {
                var propertyPath = $"{path}.{name}";
                if (string.IsNullOrWhiteSpace(property.Description))
                {
                    missing.Add(propertyPath);
                }

                Walk(property, propertyPath, missing);
            }

            if (schema.Items is V1JSONSchemaProps items)
            {
                Walk(items, path + "[]", missing);
            }
        }
    }

    [Fact]
    public void RepositoryFork_spec_is_immutable_by_a_CEL_rule()
    {
        var spec = Schema("RepositoryFork").Properties["spec"];

        var rule = Assert.Single(spec.XKubernetesValidations);
        Assert.Equal("self == oldSelf", rule.Rule);
        Assert.False(string.IsNullOrEmpty(rule.Message));
    }

    [Theory]
    [InlineData("RepositoryFork", "spec.sourceRepo")]
    [InlineData("RepositoryFork", "spec.sourceTag")]
    [InlineData("RepositoryFork", "spec.repoName")]
    [InlineData("RepositoryFork", "spec.tagName")]
    [InlineData("Repository", "spec.name")]
    [InlineData("Tag", "spec.repository")]
    [InlineData("Tag", "spec.tag")]
    public void Vers_name_fields_carry_the_name_pattern(string kind, string path)
    {
        var schema = Schema(kind);
        foreach (var part in path.Split('.'))
        {
            schema = schema.Properties[part];
        }

        Assert.Equal(VersNames.Pattern, schema.Pattern);
    }

    [Fact]
    public void RepositoryFork_printer_columns_show_source_reference_phase_vm_commit_reason_and_age()
    {
        var columns = Crd("RepositoryFork").Spec.Versions.Single().AdditionalPrinterColumns;

        Assert.Equal(["Source", "Reference", "Phase", "VM", "Commit", "Reason", "Age"], columns.Select(c => c.Name));
        Assert.Equal(1, columns.Single(c => c.Name == "Reason").Priority);
        Assert.All(columns.Where(c => c.Name != "Reason"), c => Assert.True(c.Priority is null or 0, $"{c.Name} has priority {c.Priority}"));
        Assert.Equal(".status.error.reason", columns.Single(c => c.Name == "Reason").JsonPath);
        Assert.Equal("date", columns.Single(c => c.Name == "Age").Type);
        Assert.Equal(".metadata.creationTimestamp", columns.Single(c => c.Name == "Age").JsonPath);
    }

    [Theory]
    [InlineData("Repository", "repositories", "vrepo")]
    [InlineData("Commit", "commits", "vcommit")]
    [InlineData("Tag", "tags", "vtag")]
    [InlineData("RepositoryFork", "repositoryforks", "rfork")]
    public void Each_kind_is_namespaced_in_group_vers_sh_with_its_short_name_and_category_vers(string kind, string plural, string shortName)
    {
        var crd = Crd(kind);

        Assert.Equal($"{plural}.vers.sh", crd.Metadata.Name);
        Assert.Equal("vers.sh", crd.Spec.Group);
        Assert.Equal("Namespaced", crd.Spec.Scope);
        Assert.Equal(plural, crd.Spec.Names.Plural);
        Assert.Equal([shortName], crd.Spec.Names.ShortNames);
        Assert.Equal(["vers"], crd.Spec.Names.Categories);
        var version = Assert.Single(crd.Spec.Versions);
        Assert.Equal("v1alpha1", version.Name);
        Assert.True(version.Served && version.Storage);
    }

    [Theory]
    [InlineData("Repository")]
    [InlineData("Commit")]
    [InlineData("RepositoryFork")]
    public void Kinds_with_observed_state_have_the_status_subresource(string kind)
    {
        var version = Crd(kind).Spec.Versions.Single();

        Assert.NotNull(version.Subresources?.Status);
        Assert.Contains("status", version.Schema.OpenAPIV3Schema.Properties.Keys);
    }

    [Fact]
    public void A_Tag_has_a_status_but_no_status_subresource_so_it_is_created_with_its_reference()
    {
        var version = Crd("Tag").Spec.Versions.Single();

        Assert.Null(version.Subresources?.Status);
        Assert.Contains("reference", version.Schema.OpenAPIV3Schema.Properties["status"].Properties.Keys);
    }

    [Theory]
    [InlineData("Repository")]
    [InlineData("Commit")]
    [InlineData("RepositoryFork")]
    public void Conditions_are_a_list_map_keyed_by_type(string kind)
    {
        var conditions = Schema(kind).Properties["status"].Properties["conditions"];

        Assert.Equal("array", conditions.Type);
        Assert.Equal("map", conditions.XKubernetesListType);
        Assert.Equal(["type"], conditions.XKubernetesListMapKeys);
        Assert.Equal(["lastTransitionTime", "message", "reason", "status", "type"], conditions.Items is V1JSONSchemaProps items ? items.Required : null);
    }

    [Fact]
    public void Rendered_crd_files_are_named_group_underscore_plural()
    {
        Assert.Equal(
            ["vers.sh_commits.yaml", "vers.sh_repositories.yaml", "vers.sh_repositoryforks.yaml", "vers.sh_tags.yaml"],
            CrdGenerator.Render().Keys.Order(StringComparer.Ordinal));
    }
}
