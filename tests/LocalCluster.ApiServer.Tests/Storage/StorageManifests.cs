using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests.Storage;

/// <summary>PersistentVolumeClaim, PersistentVolume and StorageClass bodies and paths for the storage tests.</summary>
internal static class StorageManifests
{
    public const string Claims = "/api/v1/namespaces/default/persistentvolumeclaims";
    public const string Volumes = "/api/v1/persistentvolumes";
    public const string Classes = "/apis/storage.k8s.io/v1/storageclasses";

    public static string Claim(string name, string size = "1Gi", string? storageClass = null, string accessModes = "[\"ReadWriteOnce\"]")
    {
        var spec = new JsonObject
        {
            ["accessModes"] = JsonNode.Parse(accessModes),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = size } },
        };
        if (storageClass is not null)
        {
            spec["storageClassName"] = storageClass;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "PersistentVolumeClaim", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec }.ToJsonString();
    }

    public static string Volume(string name, string size = "1Gi", string? storageClass = null)
    {
        var spec = new JsonObject
        {
            ["capacity"] = new JsonObject { ["storage"] = size },
            ["accessModes"] = new JsonArray("ReadWriteOnce"),
            ["csi"] = new JsonObject { ["driver"] = "hostpath.csi.k8s.io", ["volumeHandle"] = name + "-handle" },
        };
        if (storageClass is not null)
        {
            spec["storageClassName"] = storageClass;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "PersistentVolume", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec }.ToJsonString();
    }

    public static string Class(string name, bool isDefault = false, string provisioner = "hostpath.csi.k8s.io")
    {
        var metadata = new JsonObject { ["name"] = name };
        if (isDefault)
        {
            metadata["annotations"] = new JsonObject { ["storageclass.kubernetes.io/is-default-class"] = "true" };
        }

        return new JsonObject { ["apiVersion"] = "storage.k8s.io/v1", ["kind"] = "StorageClass", ["metadata"] = metadata, ["provisioner"] = provisioner }.ToJsonString();
    }
}
