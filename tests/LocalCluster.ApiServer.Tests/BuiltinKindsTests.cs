using System.Net;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Built-in kinds stored as data (no controllers): discovery, printers, generation, strategic merge patch.</summary>
public sealed class BuiltinKindsTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: vers-operator
          namespace: default
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: vers-config
          namespace: default
        data:
          mode: embedded
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: vers-keys
          namespace: default
        type: Opaque
        stringData:
          key: s3cr3t
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: vers-api
          namespace: default
        spec:
          selector:
            app: vers-api
          ports:
          - name: http
            port: 80
            targetPort: 8080
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: vers-operator
          namespace: default
          labels:
            app: vers-operator
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: vers-operator
          template:
            metadata:
              labels:
                app: vers-operator
            spec:
              serviceAccountName: vers-operator
              containers:
              - name: operator
                image: vers/operator:1.0
                env:
                - name: MODE
                  value: cluster
                ports:
                - containerPort: 8080
              - name: sidecar
                image: vers/sidecar:1.0
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata:
          name: vers-operator
          namespace: default
        spec:
          minAvailable: 1
          selector:
            matchLabels:
              app: vers-operator
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: vers-api
          namespace: default
        spec:
          podSelector:
            matchLabels:
              app: vers-api
          policyTypes: [Ingress]
          ingress:
          - ports:
            - port: 8080
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: vers-operator
          namespace: default
        rules:
        - apiGroups: [coordination.k8s.io]
          resources: [leases]
          verbs: [get, create, update]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: vers-operator
        rules:
        - apiGroups: [vers.sh]
          resources: ["*"]
          verbs: ["*"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: vers-operator
          namespace: default
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: Role
          name: vers-operator
        subjects:
        - kind: ServiceAccount
          name: vers-operator
          namespace: default
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: vers-operator
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: vers-operator
        subjects:
        - kind: ServiceAccount
          name: vers-operator
          namespace: default
        """;

    private static readonly string[] Created =
    [
        "serviceaccount/vers-operator created",
        "configmap/vers-config created",
        "secret/vers-keys created",
        "service/vers-api created",
        "deployment.apps/vers-operator created",
        "poddisruptionbudget.policy/vers-operator created",
        "networkpolicy.networking.k8s.io/vers-api created",
        "role.rbac.authorization.k8s.io/vers-operator created",
        "clusterrole.rbac.authorization.k8s.io/vers-operator created",
        "rolebinding.rbac.authorization.k8s.io/vers-operator created",
        "clusterrolebinding.rbac.authorization.k8s.io/vers-operator created",
    ];

    [Fact]
    public async Task Kubectl_apply_of_a_multi_document_manifest_creates_every_kind_and_reapplies_cleanly()
    {
        await using var k = await KubectlHarness.StartAsync();
        var first = await k.RunAsync(Manifests, "apply", "-f", "-");
        Assert.True(first.Code == 0, first.Err);
        Assert.Equal(Created, first.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        using var api = new RawApi(k.Cluster.Server.BaseAddress);
        var before = (await api.GetAsync("/apis/policy/v1/namespaces/default/poddisruptionbudgets/vers-operator")).Str("metadata", "resourceVersion");
        var second = await k.RunAsync(Manifests, "apply", "-f", "-");
        Assert.True(second.Code == 0, second.Err);
        Assert.Equal("", second.Err);

        // kubectl always sends PodDisruptionBudget's spec.selector (patchStrategy=replace) and so prints "configured"
        // against a real server too; the server sees a no-op and keeps the resourceVersion. The same holds for a
        // Secret's stringData: the server merges it into data and never stores it, so the live object always lacks it.
        var expected = Created.Select(l => l.Replace(" created", l.StartsWith("poddisruptionbudget", StringComparison.Ordinal) || l.StartsWith("secret", StringComparison.Ordinal) ? " configured" : " unchanged", StringComparison.Ordinal));
        Assert.Equal(expected, second.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(before, (await api.GetAsync("/apis/policy/v1/namespaces/default/poddisruptionbudgets/vers-operator")).Str("metadata", "resourceVersion"));

        var svc = await k.OkAsync("get", "svc", "vers-api");
        Assert.Matches(@"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n", svc);
        Assert.Matches(@"\nvers-api\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+80/TCP\s+\d+s\n", svc);
        Assert.Matches(@"\nvers-operator\s+0/2\s+0\s+0\s+\d+s\n", await k.OkAsync("get", "deploy"));
        Assert.Matches(@"\nvers-operator\s+1\s+N/A\s+0\s+\d+s\n", await k.OkAsync("get", "pdb"));
        Assert.Matches(@"\nvers-operator\s+Role/vers-operator\s+\d+s\n", await k.OkAsync("get", "rolebinding"));
        Assert.Matches(@"\nvers-api\s+app=vers-api\s+\d+s\n", await k.OkAsync("get", "networkpolicy"));
    }

    [Fact]
    public async Task Kubectl_reapply_of_a_changed_deployment_merges_containers_by_name()
    {
        await using var k = await KubectlHarness.StartAsync();
        await k.OkInAsync(Manifests, "apply", "-f", "-");
        var changed = Manifests.Replace("vers/operator:1.0", "vers/operator:2.0", StringComparison.Ordinal)
            .Replace("        env:\n        - name: MODE\n          value: cluster\n", "", StringComparison.Ordinal);
        Assert.Contains("deployment.apps/vers-operator configured", await k.OkInAsync(changed, "apply", "-f", "-"));

        using var api = new RawApi(k.Cluster.Server.BaseAddress);
        var deploy = await api.GetAsync("/apis/apps/v1/namespaces/default/deployments/vers-operator");
        var containers = deploy.Body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["operator", "sidecar"], containers.Select(c => c!["name"]!.ToString()));
        Assert.Equal("vers/operator:2.0", containers[0]!["image"]!.ToString());
        Assert.Null(containers[0]!["env"]);
        Assert.Equal("8080", containers[0]!["ports"]![0]!["containerPort"]!.ToString());
        Assert.Equal("2", deploy.Str("metadata", "generation"));
    }

    [Fact]
    public async Task Deployment_tracks_generation_on_spec_changes_and_has_a_status_subresource()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        const string path = "/apis/apps/v1/namespaces/default/deployments";
        var created = await api.PostAsync(path, """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}},"status":{"replicas":5}}""");
        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Equal("1", created.Str("metadata", "generation"));
        Assert.Equal("{}", created.Body!["status"]!.ToJsonString());

        Assert.Equal("1", (await api.PatchAsync(path + "/d", """{"metadata":{"labels":{"x":"y"}}}""")).Str("metadata", "generation"));
        Assert.Equal("2", (await api.PatchAsync(path + "/d", """{"spec":{"replicas":3}}""")).Str("metadata", "generation"));
        var status = await api.PatchAsync(path + "/d/status", """{"status":{"replicas":3,"readyReplicas":3,"observedGeneration":2},"spec":{"replicas":9}}""");
        Assert.Equal(HttpStatusCode.OK, status.Code);
        Assert.Equal("3", status.Str("status", "readyReplicas"));
        Assert.Equal("3", status.Str("spec", "replicas"));
        Assert.Equal("2", status.Str("metadata", "generation"));
    }

    [Fact]
    public async Task Strategic_merge_patch_honours_directives_and_merge_keys()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        const string path = "/apis/apps/v1/namespaces/default/deployments";
        await api.PostAsync(path, """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","finalizers":["a/b","c/d"]},"spec":{"selector":{"matchLabels":{"a":"b"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"one","image":"1"},{"name":"two","image":"2"},{"name":"three","image":"3"}]}}}}""");
        const string smp = "application/strategic-merge-patch+json";
        var r = await api.PatchAsync(path + "/d", """
            {"metadata":{"$deleteFromPrimitiveList/finalizers":["a/b"]},
             "spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"},
                     "template":{"spec":{"$setElementOrder/containers":[{"name":"three"},{"name":"one"}],
                                         "containers":[{"name":"one","image":"1b"},{"name":"two","$patch":"delete"}]}}}}
            """, smp);
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal(["c/d"], r.Body!["metadata"]!["finalizers"]!.AsArray().Select(f => f!.ToString()));
        Assert.Equal("""{"type":"Recreate"}""", r.Body["spec"]!["strategy"]!.ToJsonString());
        var containers = r.Body["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["three:3", "one:1b"], containers.Select(x => $"{x!["name"]}:{x["image"]}"));

        var cm = await api.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"a":"1","b":"2"}}""");
        Assert.Equal(HttpStatusCode.Created, cm.Code);
        var replaced = await api.PatchAsync("/api/v1/namespaces/default/configmaps/cm", """{"data":{"$patch":"replace","c":"3"}}""", smp);
        Assert.Equal("""{"c":"3"}""", replaced.Body!["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Builtins_appear_in_discovery_and_openapi_with_a_fieldValidation_patch_operation()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        foreach (var (gv, plural, kind) in new[]
                 {
                     ("api/v1", "services", "Service"), ("api/v1", "serviceaccounts", "ServiceAccount"), ("api/v1", "secrets", "Secret"),
                     ("apis/apps/v1", "deployments", "Deployment"), ("apis/policy/v1", "poddisruptionbudgets", "PodDisruptionBudget"),
                     ("apis/networking.k8s.io/v1", "networkpolicies", "NetworkPolicy"), ("apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding"),
                 })
        {
            var list = await api.GetAsync("/" + gv);
            Assert.Contains(list.Body!["resources"]!.AsArray(), r => r!["name"]!.ToString() == plural && r["kind"]!.ToString() == kind);
            var index = await api.GetAsync("/openapi/v3");
            var url = index.Body!["paths"]![gv]!["serverRelativeURL"]!.ToString();
            var doc = await api.GetAsync(url);
            var patchOps = doc.Body!["paths"]!.AsObject().Select(p => p.Value?["patch"]).OfType<JsonObject>()
                .Where(op => op["x-kubernetes-group-version-kind"]!["kind"]!.ToString() == kind);
            Assert.Contains(patchOps, op => op["parameters"]!.AsArray().Any(p => p!["name"]!.ToString() == "fieldValidation"));
        }
    }

    [Fact]
    public async Task Service_gets_a_cluster_ip_that_survives_a_put_without_it()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        const string path = "/api/v1/namespaces/default/services";
        var a = await api.PostAsync(path, """{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"ports":[{"port":80}]}}""");
        var b = await api.PostAsync(path, """{"apiVersion":"v1","kind":"Service","metadata":{"name":"b"},"spec":{"ports":[{"port":80}]}}""");
        Assert.Equal("ClusterIP", a.Str("spec", "type"));
        Assert.Equal("80", a.Body!["spec"]!["ports"]![0]!["targetPort"]!.ToString());
        Assert.Equal("TCP", a.Body!["spec"]!["ports"]![0]!["protocol"]!.ToString());
        Assert.NotEqual(a.Str("spec", "clusterIP"), b.Str("spec", "clusterIP"));
        var put = await api.PutAsync(path + "/a", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"ports":[{"port":81}]}}""");
        Assert.Equal(HttpStatusCode.OK, put.Code);
        Assert.Equal(a.Str("spec", "clusterIP"), put.Str("spec", "clusterIP"));
    }
}
