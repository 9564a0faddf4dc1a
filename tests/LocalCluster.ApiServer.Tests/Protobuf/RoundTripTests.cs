using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.Tests.Protobuf;

/// <summary>
/// JSON → protobuf → JSON gives the object back. The inputs are in the form Go's encoding/json writes: zero-valued
/// non-pointer fields left out, non-pointer structs present (<c>"status": {}</c>, <c>"creationTimestamp": null</c>).
/// </summary>
public sealed class RoundTripTests
{
    private static void AssertRoundTrips(string json)
    {
        var expected = JsonNode.Parse(json)!.AsObject();
        var actual = KubeProtobuf.Decode(KubeProtobuf.Encode(expected));
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\nactual   {actual.ToJsonString()}");
    }

    [Fact]
    public void SecretWithBytesDataRoundTrips()
    {
        var binary = Convert.ToBase64String(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        AssertRoundTrips($$$"""
            {"kind":"Secret","apiVersion":"v1",
             "metadata":{"name":"s","namespace":"default","creationTimestamp":null,"labels":{"owner":"helm"}},
             "immutable":false,
             "data":{"a":"aGVsbG8=","bin":"{{{binary}}}","empty":""},
             "stringData":{"k":"v"},
             "type":"helm.sh/release.v1"}
            """);
    }

    [Fact]
    public void DeploymentWithIntOrStringQuantityAndTimeRoundTrips()
    {
        AssertRoundTrips("""
            {"kind":"Deployment","apiVersion":"apps/v1",
             "metadata":{"name":"web","namespace":"default","uid":"u-1","resourceVersion":"42","generation":3,
               "creationTimestamp":"2024-05-01T10:20:30Z","labels":{"app":"web"},"annotations":{"note":""},
               "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"o-1","controller":true}],
               "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"apps/v1","time":"2024-05-01T10:20:30Z",
                 "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
             "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},
               "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
                 "spec":{"volumes":[{"name":"cache","emptyDir":{"sizeLimit":"1Gi"}},{"name":"cfg","configMap":{"name":"cfg","defaultMode":420}}],
                   "containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":8080,"protocol":"TCP"}],
                     "env":[{"name":"TOKEN","valueFrom":{"secretKeyRef":{"name":"creds","key":"token","optional":false}}}],
                     "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m"}},
                     "volumeMounts":[{"name":"cache","mountPath":"/cache"}],
                     "livenessProbe":{"tcpSocket":{"port":8080}},
                     "readinessProbe":{"httpGet":{"path":"/healthz","port":"http"},"periodSeconds":5}}],
                   "terminationGracePeriodSeconds":30}},
               "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":"25%"}},
               "revisionHistoryLimit":10,"progressDeadlineSeconds":600},
             "status":{"observedGeneration":3,"replicas":1,
               "conditions":[{"type":"Available","status":"True","lastUpdateTime":"2024-05-01T10:21:00Z",
                 "lastTransitionTime":"2024-05-01T10:21:00Z","reason":"MinimumReplicasAvailable","message":"ok"}]}}
            """);
    }

    [Fact]
    public void ConfigMapWithBinaryDataRoundTrips()
    {
        AssertRoundTrips("""
            {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","namespace":"default","creationTimestamp":null},
             "immutable":true,"data":{"k":"v","multi":"a\nb"},"binaryData":{"blob":"AAECAwT/"}}
            """);
    }

    [Fact]
    public void NamespaceRoundTrips()
    {
        AssertRoundTrips("""
            {"kind":"Namespace","apiVersion":"v1",
             "metadata":{"name":"ns1","creationTimestamp":"2024-05-01T10:20:30Z","deletionTimestamp":"2024-05-02T00:00:00Z",
               "deletionGracePeriodSeconds":0,"labels":{"kubernetes.io/metadata.name":"ns1"},"finalizers":["example.com/hold"]},
             "spec":{"finalizers":["kubernetes"]},
             "status":{"phase":"Terminating","conditions":[{"type":"NamespaceDeletionContentFailure","status":"False",
               "lastTransitionTime":"2024-05-02T00:00:01Z","reason":"ContentDeleted","message":"done"}]}}
            """);
    }

    [Fact]
    public void SelfSubjectAccessReviewRoundTrips()
    {
        AssertRoundTrips("""
            {"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},
             "spec":{"resourceAttributes":{"namespace":"default","verb":"get","resource":"pods",
               "fieldSelector":{"requirements":[{"key":"spec.nodeName","operator":"In","values":["n1"]}]}}},
             "status":{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding \"admin\""}}
            """);
    }

    [Fact]
    public void SubjectAccessReviewExtraValuesRoundTripAsArrays()
    {
        AssertRoundTrips("""
            {"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},
             "spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"},"user":"alice","groups":["dev"],
               "extra":{"scopes":["a","b"],"none":null},"uid":"42"},
             "status":{}}
            """);
    }

    [Fact]
    public void RoleBindingRoundTrips()
    {
        AssertRoundTrips("""
            {"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1",
             "metadata":{"name":"rb","namespace":"default","creationTimestamp":null},
             "subjects":[{"kind":"ServiceAccount","name":"sa","namespace":"default"},
               {"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}],
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"}}
            """);
    }

    [Fact]
    public void EventWithMicroTimeRoundTrips()
    {
        AssertRoundTrips("""
            {"kind":"Event","apiVersion":"events.k8s.io/v1",
             "metadata":{"name":"e1","namespace":"default","creationTimestamp":"2024-05-01T10:20:30Z"},
             "eventTime":"2024-05-01T10:20:30.123456Z",
             "series":{"count":2,"lastObservedTime":"2024-05-01T10:25:00.000001Z"},
             "reportingController":"vers.sh/operator","reportingInstance":"op-1","action":"Fork","reason":"Created",
             "regarding":{"kind":"Pod","namespace":"default","name":"p","uid":"u","apiVersion":"v1"},
             "note":"made","type":"Normal","deprecatedSource":{},
             "deprecatedFirstTimestamp":"2024-05-01T10:20:30Z","deprecatedLastTimestamp":null,"deprecatedCount":1}
            """);
    }

    [Fact]
    public void ListKindRoundTripsWithItsItems()
    {
        AssertRoundTrips("""
            {"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"abc","remainingItemCount":3},
             "items":[{"metadata":{"name":"a","namespace":"default","creationTimestamp":null},"data":{"x":"eA=="},"type":"Opaque"},
               {"metadata":{"name":"b","namespace":"default","creationTimestamp":null},"type":"Opaque"}]}
            """);
    }

    [Fact]
    public void StatusRoundTripsThroughMetaV1()
    {
        AssertRoundTrips("""
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"x\" not found",
             "reason":"NotFound","details":{"name":"x","kind":"secrets","causes":[{"reason":"FieldValueInvalid","message":"bad","field":"spec"}]},
             "code":404}
            """);
    }

    [Fact]
    public void PersistentVolumeRoundTripsWithItsInlineSource()
    {
        AssertRoundTrips("""
            {"kind":"PersistentVolume","apiVersion":"v1","metadata":{"name":"pv1","creationTimestamp":null},
             "spec":{"capacity":{"storage":"10Gi"},"hostPath":{"path":"/data","type":"DirectoryOrCreate"},
               "accessModes":["ReadWriteOnce"],"claimRef":{"kind":"PersistentVolumeClaim","namespace":"default","name":"c"},
               "persistentVolumeReclaimPolicy":"Delete","storageClassName":"local","volumeMode":"Filesystem"},
             "status":{"phase":"Bound","lastPhaseTransitionTime":"2024-05-01T10:20:30Z"}}
            """);
    }

    [Fact]
    public void LeaseRoundTrips()
    {
        AssertRoundTrips("""
            {"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"l","namespace":"kube-node-lease","creationTimestamp":null},
             "spec":{"holderIdentity":"op-1","leaseDurationSeconds":15,"acquireTime":"2024-05-01T10:20:30.000000Z",
               "renewTime":"2024-05-01T10:20:45.500000Z","leaseTransitions":0}}
            """);
    }
}
