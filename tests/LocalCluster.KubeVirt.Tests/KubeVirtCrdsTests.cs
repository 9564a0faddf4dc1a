using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.LocalCluster.KubeVirt;

namespace Vers.LocalCluster.KubeVirt.Tests;

public sealed class KubeVirtCrdsTests
{
    [Fact]
    public void All_covers_the_kubevirt_cdi_and_csi_kinds_with_real_names()
    {
        var byName = KubeVirtCrds.All.ToDictionary(c => c.Metadata.Name);

        Assert.Equal(
            [
                "datavolumes.cdi.kubevirt.io", "kubevirts.kubevirt.io", "virtualmachineclones.clone.kubevirt.io", "virtualmachineexports.export.kubevirt.io",
                "virtualmachinerestores.snapshot.kubevirt.io", "virtualmachines.kubevirt.io", "virtualmachinesnapshotcontents.snapshot.kubevirt.io",
                "virtualmachinesnapshots.snapshot.kubevirt.io", "volumesnapshotclasses.snapshot.storage.k8s.io",
                "volumesnapshotcontents.snapshot.storage.k8s.io", "volumesnapshots.snapshot.storage.k8s.io",
            ],
            byName.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["vm", "vms"], byName["virtualmachines.kubevirt.io"].Spec.Names.ShortNames);
        Assert.Contains("vmsnapshot", byName["virtualmachinesnapshots.snapshot.kubevirt.io"].Spec.Names.ShortNames);
        Assert.Contains("vmclone", byName["virtualmachineclones.clone.kubevirt.io"].Spec.Names.ShortNames);
        Assert.Equal(["dv", "dvs"], byName["datavolumes.cdi.kubevirt.io"].Spec.Names.ShortNames);
        Assert.Equal(["kv", "kvs"], byName["kubevirts.kubevirt.io"].Spec.Names.ShortNames);
        Assert.Equal(["vsc", "vscs"], byName["volumesnapshotcontents.snapshot.storage.k8s.io"].Spec.Names.ShortNames);
        Assert.Equal(["vsclass", "vsclasses"], byName["volumesnapshotclasses.snapshot.storage.k8s.io"].Spec.Names.ShortNames);
        Assert.Equal(["all"], byName["virtualmachines.kubevirt.io"].Spec.Names.Categories);
        Assert.Equal("v1beta1", Assert.Single(byName["virtualmachineclones.clone.kubevirt.io"].Spec.Versions).Name);
        Assert.Equal("v1", Assert.Single(byName["virtualmachineexports.export.kubevirt.io"].Spec.Versions).Name);
        Assert.All(byName.Values, crd =>
        {
            var version = Assert.Single(crd.Spec.Versions);
            Assert.True(version.Served);
            Assert.True(version.Storage);
        });
    }

    /// <summary>The CSI snapshot contents and classes are cluster-scoped (external-snapshotter client/config/crd); a class has no status.</summary>
    [Fact]
    public void Snapshot_contents_and_classes_are_cluster_scoped_and_everything_else_namespaced_with_status()
    {
        var byName = KubeVirtCrds.All.ToDictionary(c => c.Metadata.Name);
        string[] clusterScoped = ["volumesnapshotclasses.snapshot.storage.k8s.io", "volumesnapshotcontents.snapshot.storage.k8s.io"];

        Assert.All(byName.Values, crd => Assert.Equal(clusterScoped.Contains(crd.Metadata.Name) ? "Cluster" : "Namespaced", crd.Spec.Scope));
        Assert.All(byName.Values.Where(c => c.Metadata.Name != "volumesnapshotclasses.snapshot.storage.k8s.io"),
            crd => Assert.NotNull(crd.Spec.Versions[0].Subresources?.Status));
        Assert.Null(byName["volumesnapshotclasses.snapshot.storage.k8s.io"].Spec.Versions[0].Subresources);
    }

    [Theory]
    [InlineData("virtualmachines.kubevirt.io", "Age=.metadata.creationTimestamp|Status=.status.printableStatus|Ready=.status.conditions[?(@.type==\"Ready\")].status")]
    [InlineData("virtualmachinesnapshots.snapshot.kubevirt.io", "SourceKind=.spec.source.kind|SourceName=.spec.source.name|Phase=.status.phase|ReadyToUse=.status.readyToUse|CreationTime=.status.creationTime|Error=.status.error.message")]
    [InlineData("virtualmachineclones.clone.kubevirt.io", "Phase=.status.phase|SourceVirtualMachine=.spec.source.name|TargetVirtualMachine=.spec.target.name")]
    [InlineData("datavolumes.cdi.kubevirt.io", "Phase=.status.phase|Progress=.status.progress|Restarts=.status.restartCount|Age=.metadata.creationTimestamp")]
    public void Printer_columns_match_kubevirt(string crdName, string expected)
    {
        var crd = KubeVirtCrds.All.Single(c => c.Metadata.Name == crdName);
        var columns = crd.Spec.Versions[0].AdditionalPrinterColumns.Select(c => $"{c.Name}={c.JsonPath}");
        Assert.Equal(expected, string.Join('|', columns));
    }

    [Fact]
    public void Every_schema_is_structural()
    {
        foreach (var crd in KubeVirtCrds.All)
        {
            // Round-trip through the wire format first: that is what the API server sees.
            var wire = KubernetesJson.Deserialize<V1CustomResourceDefinition>(KubernetesJson.Serialize(crd));
            var root = JsonNode.Parse(KubernetesJson.Serialize(wire.Spec.Versions[0].Schema.OpenAPIV3Schema))!.AsObject();
            var problems = new List<string>();
            CheckStructural(root, crd.Metadata.Name, problems, isRoot: true);
            Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Take(20)));
            Assert.Equal(new JsonObject { ["type"] = "object" }.ToJsonString(), root["properties"]!["metadata"]!.ToJsonString());
        }
    }

    [Fact]
    public void Schemas_keep_upstream_fields_and_map_quantities_and_nested_metadata()
    {
        var vm = KubeVirtCrds.VirtualMachine().Spec.Versions[0].Schema.OpenAPIV3Schema;
        var template = vm.Properties["spec"].Properties["template"];
        Assert.True(template.Properties["metadata"].XKubernetesPreserveUnknownFields);
        var memory = template.Properties["spec"].Properties["domain"].Properties["resources"].Properties["requests"];
        Assert.True(((V1JSONSchemaProps)memory.AdditionalProperties).XKubernetesIntOrString);
        Assert.Contains("runStrategy", vm.Properties["spec"].Properties.Keys);
        Assert.Equal(["spec"], vm.Required);

        var snapshot = KubeVirtCrds.VirtualMachineSnapshot().Spec.Versions[0].Schema.OpenAPIV3Schema;
        var condition = (V1JSONSchemaProps)snapshot.Properties["status"].Properties["conditions"].Items;
        Assert.Equal("string", condition.Properties["lastProbeTime"].Type);
        Assert.True(condition.Properties["lastProbeTime"].Nullable);

        var content = KubeVirtCrds.VirtualMachineSnapshotContent().Spec.Versions[0].Schema.OpenAPIV3Schema;
        var vmCopy = content.Properties["spec"].Properties["source"].Properties["virtualMachine"];
        Assert.Equal(["metadata", "spec", "status"], vmCopy.Properties.Keys.Order(StringComparer.Ordinal));
    }

    private static void CheckStructural(JsonObject node, string path, List<string> problems, bool isRoot = false)
    {
        var intOrString = (bool?)node["x-kubernetes-int-or-string"] == true;
        var preserve = (bool?)node["x-kubernetes-preserve-unknown-fields"] == true;
        if (node["type"] is null && !intOrString && !preserve)
        {
            problems.Add($"{path}: no type");
        }

        if (node["$ref"] is not null)
        {
            problems.Add($"{path}: $ref left");
        }

        if (node["default"] is not null)
        {
            problems.Add($"{path}: default kept");
        }

        if (node["properties"] is not null && node["additionalProperties"] is not null)
        {
            problems.Add($"{path}: properties and additionalProperties");
        }

        if (node["anyOf"] is JsonArray anyOf)
        {
            if (!intOrString)
            {
                problems.Add($"{path}: anyOf outside int-or-string");
            }

            foreach (var branch in anyOf.OfType<JsonObject>())
            {
                if (branch.Select(p => p.Key).Any(k => k != "type"))
                {
                    problems.Add($"{path}: anyOf branch carries more than a type");
                }
            }
        }

        if (node["type"] is JsonValue type && (string)type! == "array" && node["items"] is not JsonObject)
        {
            problems.Add($"{path}: array without items");
        }

        if (node["x-kubernetes-list-map-keys"] is JsonArray keys)
        {
            var required = (node["items"]?["required"] as JsonArray)?.Select(r => (string)r!).ToHashSet() ?? [];
            foreach (var key in keys.Select(k => (string)k!).Where(k => !required.Contains(k)))
            {
                problems.Add($"{path}: list-map key {key} not required");
            }
        }

        if (node["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                if (isRoot && name == "metadata")
                {
                    continue;
                }

                CheckStructural(child!.AsObject(), $"{path}.{name}", problems);
            }
        }

        if (node["items"] is JsonObject items)
        {
            CheckStructural(items, path + "[]", problems);
        }

        if (node["additionalProperties"] is JsonObject additional)
        {
            CheckStructural(additional, path + "{}", problems);
        }
    }
}
