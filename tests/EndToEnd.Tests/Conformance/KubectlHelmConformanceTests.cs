using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Vers.EndToEnd.Tests.Conformance;

/// <summary>
/// The unmodified kubectl and Helm against the all-in-one host, each case asserting what the real kube-apiserver does
/// (read from upstream: kubectl's staging/src/k8s.io/kubectl, apiserver's handlers and the core validation). The cases
/// carry their operation and the upstream behaviour as data (<see cref="ConformanceAttribute"/>), from which
/// docs/api-conformance.md is generated. Cases that need an object make it through the API with a JSON body, so that
/// each case stands alone; the Helm release goes install → upgrade → rollback → list → uninstall in source order, and
/// each step installs or upgrades first when run alone.
/// </summary>
[Trait("Category", "Conformance")]
[TestCaseOrderer(typeof(SourceOrder))]
public sealed partial class KubectlHelmConformanceTests(ConformanceHost host) : IClassFixture<ConformanceHost>
{
    private const string Ns = ConformanceHost.Namespace;
    private const string Release = "conf";
    private const string ReleaseNs = "helm-conformance";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    [Conformance("`kubectl create namespace conformance-created`", "`namespace/conformance-created created`, exit 0; the namespace is `Active`")]
    public Task Kubectl_create_namespace() => Case(async () =>
    {
        Expect(await host.KubectlAsync("create", "namespace", "conformance-created"), 0, stdout: ["namespace/conformance-created created"]);
        Expect(await host.KubectlAsync("get", "namespace", "conformance-created", "-o", "jsonpath={.status.phase}"), 0, stdout: ["Active"]);
    });

    [Fact]
    [Conformance("`kubectl create secret generic conf-secret --from-literal=password=s3cr3t`", "`secret/conf-secret created`, exit 0; `.data.password` is the value in base64 (`czNjcjN0`), type `Opaque`")]
    public Task Kubectl_create_secret_generic() => Case(async () =>
    {
        Expect(await host.KubectlAsync("-n", Ns, "create", "secret", "generic", "conf-secret", "--from-literal=password=s3cr3t"), 0, stdout: ["secret/conf-secret created"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "secret", "conf-secret", "-o", "jsonpath={.type} {.data.password}"), 0, stdout: ["Opaque czNjcjN0"]);
    });

    [Fact]
    [Conformance("`kubectl create configmap conf-cm --from-literal=greeting=hello`", "`configmap/conf-cm created`, exit 0; `.data.greeting` is `hello`")]
    public Task Kubectl_create_configmap() => Case(async () =>
    {
        Expect(await host.KubectlAsync("-n", Ns, "create", "configmap", "conf-cm", "--from-literal=greeting=hello"), 0, stdout: ["configmap/conf-cm created"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "configmap", "conf-cm", "-o", "jsonpath={.data.greeting}"), 0, stdout: ["hello"]);
    });

    [Fact]
    [Conformance("`kubectl create serviceaccount conf-sa`", "`serviceaccount/conf-sa created`, exit 0")]
    public Task Kubectl_create_serviceaccount() => Case(async () =>
    {
        Expect(await host.KubectlAsync("-n", Ns, "create", "serviceaccount", "conf-sa"), 0, stdout: ["serviceaccount/conf-sa created"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "serviceaccount", "conf-sa", "-o", "name"), 0, stdout: ["serviceaccount/conf-sa"]);
    });

    [Fact]
    [Conformance("`kubectl create role conf-reader --verb=get,list,watch --resource=configmaps`", "`role.rbac.authorization.k8s.io/conf-reader created`, exit 0; one rule: `configmaps` in group `\"\"`, verbs get, list, watch")]
    public Task Kubectl_create_role() => Case(async () =>
    {
        Expect(await host.KubectlAsync("-n", Ns, "create", "role", "conf-reader", "--verb=get,list,watch", "--resource=configmaps"), 0,
            stdout: ["role.rbac.authorization.k8s.io/conf-reader created"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "role", "conf-reader", "-o", "jsonpath={.rules[0].resources} {.rules[0].verbs}"), 0,
            stdout: ["""["configmaps"] ["get","list","watch"]"""]);
    });

    [Fact]
    [Conformance("`kubectl create rolebinding conf-reader --role=conf-reader --serviceaccount=conformance:conf-sa`", "`rolebinding.rbac.authorization.k8s.io/conf-reader created`, exit 0 (the Role need not exist yet); subject `ServiceAccount conformance/conf-sa`")]
    public Task Kubectl_create_rolebinding() => Case(async () =>
    {
        Expect(await host.KubectlAsync("-n", Ns, "create", "rolebinding", "conf-reader", "--role=conf-reader", $"--serviceaccount={Ns}:conf-sa"), 0,
            stdout: ["rolebinding.rbac.authorization.k8s.io/conf-reader created"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "rolebinding", "conf-reader", "-o", "jsonpath={.roleRef.kind}/{.roleRef.name} {.subjects[0].kind} {.subjects[0].namespace}/{.subjects[0].name}"), 0,
            stdout: ["Role/conf-reader ServiceAccount conformance/conf-sa"]);
    });

    [Fact]
    [Conformance("`kubectl auth can-i create configmaps` (the admin)", "a SelfSubjectAccessReview; prints `yes`, exit 0")]
    public Task Kubectl_auth_can_i_yes() => Case(async () =>
    {
        var result = await host.KubectlAsync("-n", Ns, "auth", "can-i", "create", "configmaps");
        Expect(result, 0, stdout: ["yes"]);
        Assert.Equal("yes", result.Stdout.Trim());
    });

    [Fact]
    [Conformance("`kubectl auth whoami`", "a SelfSubjectReview (authentication.k8s.io/v1); prints `ATTRIBUTE VALUE`, a `Username` row and a `Groups` row including `system:authenticated`, exit 0")]
    public Task Kubectl_auth_whoami() => Case(async () =>
    {
        var result = await host.KubectlAsync("auth", "whoami");
        Expect(result, 0, stdout: ["ATTRIBUTE", "Username", "Groups", "system:authenticated"]);
        Assert.Matches(@"^ATTRIBUTE\s+VALUE\s*$", result.Stdout.Split('\n')[0]);
    });

    [Fact]
    [Conformance("`kubectl --as=someone get configmaps`", "impersonation is honoured (the admin may impersonate), then RBAC refuses the user, whom no binding grants anything: `Error from server (Forbidden): configmaps is forbidden: User \"someone\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"conformance\"`, exit 1")]
    public Task Kubectl_as_someone_get_configmaps() => Case(async () =>
        Expect(await host.KubectlAsync("-n", Ns, "--as=someone", "get", "configmaps"), 1,
            stderr: ["Error from server (Forbidden): configmaps is forbidden: User \"someone\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"conformance\""]));

    [Fact]
    [Conformance("`kubectl apply -f list.yaml` (a `kind: List` of a ConfigMap and a Secret)", "each item applied: `configmap/conf-list-cm created`, `secret/conf-list-secret created`, exit 0")]
    public Task Kubectl_apply_of_a_list() => Case(async () =>
    {
        var file = host.Write("list.yaml", $"""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: ConfigMap
              metadata:
                name: conf-list-cm
                namespace: {Ns}
              data:
                greeting: hello
            - apiVersion: v1
              kind: Secret
              metadata:
                name: conf-list-secret
                namespace: {Ns}
              stringData:
                password: s3cr3t
            """);
        Expect(await host.KubectlAsync("apply", "-f", file), 0, stdout: ["configmap/conf-list-cm created", "secret/conf-list-secret created"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "configmap/conf-list-cm", "secret/conf-list-secret", "-o", "name"), 0,
            stdout: ["configmap/conf-list-cm", "secret/conf-list-secret"]);
    });

    [Fact]
    [Conformance("`kubectl get configmap conf-yaml -o yaml`", "the object as YAML: `apiVersion: v1`, `kind: ConfigMap`, its `data`, and `metadata` with `name`, `namespace`, `uid`, `resourceVersion`, `creationTimestamp`; exit 0")]
    public Task Kubectl_get_o_yaml() => Case(async () =>
    {
        await CreateConfigMapAsync("conf-yaml", """{"greeting":"hello"}""");

        var result = await host.KubectlAsync("-n", Ns, "get", "configmap", "conf-yaml", "-o", "yaml");

        Expect(result, 0, stdout: ["apiVersion: v1", "kind: ConfigMap", "  greeting: hello", "  name: conf-yaml", "  namespace: conformance", "  uid: ", "  resourceVersion: ", "  creationTimestamp: "]);
    });

    [Fact]
    [Conformance("`kubectl get deployment conf-wide -o wide`", "the server's Table with the wide columns: `NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR`, the row `conf-wide 0/2 … web nginx:1.27 app=conf-wide` (no pods become ready without a node); exit 0")]
    public Task Kubectl_get_o_wide() => Case(async () =>
    {
        await CreateDeploymentAsync("conf-wide", replicas: 2);

        var result = await host.KubectlAsync("-n", Ns, "get", "deployment", "conf-wide", "-o", "wide");

        Expect(result, 0, stdout: ["conf-wide"]);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\s*$", lines[0]);
        Assert.Matches(@"^conf-wide\s+0/2\s+\d+\s+0\s+\S+\s+web\s+nginx:1\.27\s+app=conf-wide\s*$", lines[1]);
    });

    [Fact]
    [Conformance("`kubectl get configmap conf-watch --watch`, then the ConfigMap changes", "prints `NAME DATA AGE` and the row `conf-watch 1 …`, then on the change a row `conf-watch 2 …` (a one-row Table per watch event), and keeps watching")]
    public Task Kubectl_get_watch_of_one_object() => Case(async () =>
    {
        await CreateConfigMapAsync("conf-watch", """{"a":"1"}""");
        using var kubectl = host.StartKubectl("-n", Ns, "get", "configmap", "conf-watch", "--watch");
        var lines = new List<string>();
        var reader = Task.Run(async () =>
        {
            while (await kubectl.StandardOutput.ReadLineAsync(Ct) is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        }, Ct);
        var stderr = kubectl.StandardError.ReadToEndAsync(Ct);
        try
        {
            await UntilLineAsync(lines, @"^conf-watch\s+1\s", kubectl);
            await host.SendAsync(HttpMethod.Patch, $"api/v1/namespaces/{Ns}/configmaps/conf-watch", """{"data":{"b":"2"}}""", "application/merge-patch+json");
            await UntilLineAsync(lines, @"^conf-watch\s+2\s", kubectl);

            Assert.Matches(@"^NAME\s+DATA\s+AGE\s*$", Snapshot(lines)[0]);
            Assert.False(kubectl.HasExited, "kubectl stopped watching after the change");
        }
        catch (Exception e) when (e is not SkipException)
        {
            var state = kubectl.HasExited ? $"kubectl exited {kubectl.ExitCode}: {(await stderr).Trim()}" : "kubectl still watching";
            throw new XunitException($"we answered: {state}; it printed: {string.Join(" / ", Snapshot(lines))}; {e.Message.Split('\n')[0]}", e);
        }
        finally
        {
            if (!kubectl.HasExited)
            {
                kubectl.Kill(entireProcessTree: true);
            }

            await kubectl.WaitForExitAsync(Ct);
            await reader;
        }
    });

    [Fact]
    [Conformance("`kubectl replace -f` of an immutable ConfigMap with other data", "422 Invalid: ``The ConfigMap \"conf-immutable\" is invalid: data: Forbidden: field is immutable when `immutable` is set``, exit 1; the stored data is unchanged")]
    public Task Kubectl_replace_of_an_immutable_configmap_is_refused() => Case(async () =>
    {
        await host.SendAsync(HttpMethod.Post, $"api/v1/namespaces/{Ns}/configmaps",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"conf-immutable","namespace":"{{{Ns}}}"},"immutable":true,"data":{"level":"one"}}""");
        var file = host.Write("immutable.yaml", $"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: conf-immutable
              namespace: {Ns}
            immutable: true
            data:
              level: two
            """);

        Expect(await host.KubectlAsync("replace", "-f", file), 1,
            stderr: ["The ConfigMap \"conf-immutable\" is invalid: data: Forbidden: field is immutable when `immutable` is set"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "configmap", "conf-immutable", "-o", "jsonpath={.data.level}"), 0, stdout: ["one"]);
    });

    [Fact]
    [Conformance("`kubectl apply -f` of a ConfigMap with an integer in `data` (`count: 1`)", "400 BadRequest from decoding: `Error from server (BadRequest): error when creating \"cm-integer.yaml\": ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string`, exit 1; nothing stored")]
    public Task A_configmap_with_an_integer_in_data_is_refused() => Case(async () =>
    {
        var file = host.Write("cm-integer.yaml", $"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: conf-integer
              namespace: {Ns}
            data:
              count: 1
            """);

        Expect(await host.KubectlAsync("apply", "-f", file), 1,
            stderr: ["Error from server (BadRequest): error when creating \"cm-integer.yaml\": ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "configmap", "conf-integer"), 1, stderr: ["configmaps \"conf-integer\" not found"]);
    });

    [Fact]
    [Conformance("`kubectl apply -f` of a Deployment with `replicas: \"two\"`", "400 BadRequest from decoding: `Error from server (BadRequest): error when creating \"deployment-two.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`, exit 1; nothing stored")]
    public Task A_deployment_with_a_string_replica_count_is_refused() => Case(async () =>
    {
        var file = host.Write("deployment-two.yaml", $"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: conf-two
              namespace: {Ns}
            spec:
              replicas: "two"
              selector:
                matchLabels:
                  app: conf-two
              template:
                metadata:
                  labels:
                    app: conf-two
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
            """);

        Expect(await host.KubectlAsync("apply", "-f", file), 1,
            stderr: ["Error from server (BadRequest): error when creating \"deployment-two.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "deployment", "conf-two"), 1, stderr: ["deployments.apps \"conf-two\" not found"]);
    });

    [Fact]
    [Conformance("`kubectl scale deployment conf-scale --replicas=3`", "a merge patch of the `scale` subresource: `deployment.apps/conf-scale scaled`, exit 0; `.spec.replicas` is 3")]
    public Task Kubectl_scale_deployment() => Case(async () =>
    {
        await CreateDeploymentAsync("conf-scale", replicas: 1);

        Expect(await host.KubectlAsync("-n", Ns, "scale", "deployment", "conf-scale", "--replicas=3"), 0, stdout: ["deployment.apps/conf-scale scaled"]);
        Expect(await host.KubectlAsync("-n", Ns, "get", "deployment", "conf-scale", "-o", "jsonpath={.spec.replicas}"), 0, stdout: ["3"]);
    });

    [Fact]
    [Conformance("`kubectl create -f` of a ConfigMap over 3 MiB", "the body is over the 3 MiB request limit: 413 `Error from server (RequestEntityTooLarge): error when creating \"big.json\": Request entity too large: limit is 3145728`, exit 1")]
    public Task A_request_over_3_MiB_is_too_large() => Case(async () =>
    {
        var data = new string('x', 3 * 1024 * 1024 + 512 * 1024);
        var file = host.Write("big.json", $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"conf-big","namespace":"{{{Ns}}}"},"data":{"blob":"{{{data}}}"}}""");

        Expect(await host.KubectlAsync("create", "-f", file), 1,
            stderr: ["Error from server (RequestEntityTooLarge): error when creating \"big.json\": Request entity too large: limit is 3145728"]);
    });

    [Fact]
    [Conformance("`helm install conf charts/vers -n helm-conformance --create-namespace`, then `helm status conf`", "release stored (a Secret `sh.helm.release.v1.conf.v1`), the chart's objects created (CRDs already there are left as they are): `STATUS: deployed`, `REVISION: 1`, exit 0; `helm status` says the same")]
    public Task Helm_install_then_status() => Case(async () =>
    {
        await UninstallIfPresentAsync();

        Expect(await host.HelmAsync("install", Release, "charts/vers", "-n", ReleaseNs, "--create-namespace"), 0, stdout: ["STATUS: deployed", "REVISION: 1"]);
        Expect(await host.HelmAsync("status", Release, "-n", ReleaseNs), 0, stdout: ["STATUS: deployed", "REVISION: 1"]);
        Expect(await host.KubectlAsync("-n", ReleaseNs, "get", "deployment", "conf-vers-operator", "-o", "jsonpath={.spec.replicas}"), 0, stdout: ["2"]);
    });

    [Fact]
    [Conformance("`helm upgrade conf charts/vers -n helm-conformance --reuse-values --set operator.replicas=1`", "`Release \"conf\" has been upgraded. Happy Helming!`, `REVISION: 2`, exit 0; the operator Deployment has 1 replica")]
    public Task Helm_upgrade() => Case(async () =>
    {
        await UntilRevisionAsync(1);

        Expect(await host.HelmAsync("upgrade", Release, "charts/vers", "-n", ReleaseNs, "--reuse-values", "--set", "operator.replicas=1"), 0,
            stdout: ["Release \"conf\" has been upgraded. Happy Helming!", "REVISION: 2"]);
        Expect(await host.KubectlAsync("-n", ReleaseNs, "get", "deployment", "conf-vers-operator", "-o", "jsonpath={.spec.replicas}"), 0, stdout: ["1"]);
    });

    [Fact]
    [Conformance("`helm rollback conf 1 -n helm-conformance`", "`Rollback was a success! Happy Helming!`, exit 0; `helm status` says `REVISION: 3`, `STATUS: deployed`; the operator Deployment is back to 2 replicas")]
    public Task Helm_rollback() => Case(async () =>
    {
        await UntilRevisionAsync(2);
        var revision = await RevisionAsync();

        Expect(await host.HelmAsync("rollback", Release, "1", "-n", ReleaseNs), 0, stdout: ["Rollback was a success! Happy Helming!"]);
        Expect(await host.HelmAsync("status", Release, "-n", ReleaseNs), 0, stdout: ["STATUS: deployed", $"REVISION: {revision + 1}"]);
        Expect(await host.KubectlAsync("-n", ReleaseNs, "get", "deployment", "conf-vers-operator", "-o", "jsonpath={.spec.replicas}"), 0, stdout: ["2"]);
    });

    [Fact]
    [Conformance("`helm list -n helm-conformance`", "`NAME NAMESPACE REVISION UPDATED STATUS CHART APP VERSION` and the row `conf helm-conformance <revision> … deployed vers-0.1.0 0.1.0`, exit 0")]
    public Task Helm_list() => Case(async () =>
    {
        await UntilRevisionAsync(1);

        var result = await host.HelmAsync("list", "-n", ReleaseNs);

        Expect(result, 0, stdout: ["conf"]);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+NAMESPACE\s+REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s*$", lines[0]);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^conf\s+helm-conformance\s+\d+\s+.+\s+deployed\s+vers-0\.1\.0\s+0\.1\.0\s*$"));
    });

    [Fact]
    [Conformance("`helm uninstall conf -n helm-conformance`", "`release \"conf\" uninstalled`, exit 0; then `helm status conf` fails with `Error: release: not found` and the release's objects (Deployments, ServiceAccounts, ClusterRoles) are gone")]
    public Task Helm_uninstall() => Case(async () =>
    {
        await UntilRevisionAsync(1);

        Expect(await host.HelmAsync("uninstall", Release, "-n", ReleaseNs), 0, stdout: ["release \"conf\" uninstalled"]);
        Expect(await host.HelmAsync("status", Release, "-n", ReleaseNs), 1, stderr: ["Error: release: not found"]);
        Expect(await host.KubectlAsync("-n", ReleaseNs, "get", "deployments,serviceaccounts,services", "-l", $"app.kubernetes.io/instance={Release}", "-o", "name"), 0);
        Assert.True(host.Last!.Stdout.Trim().Length == 0, $"we answered: objects of the release are left: {host.Last.Stdout.Trim().Replace('\n', ' ')}");
        Expect(await host.KubectlAsync("get", "clusterrole", "conf-vers-operator"), 1, stderr: ["clusterroles.rbac.authorization.k8s.io \"conf-vers-operator\" not found"]);
    });

    /// <summary>The README's "Helm on the embedded cluster" commands, as written, in the directory the host was started from.</summary>
    [Fact]
    public async Task The_readme_helm_example_works_as_written()
    {
        var helm = Packaging.Helm.Path;
        if (helm is null)
        {
            Assert.Skip(Packaging.Helm.SkipReason);
        }

        var readme = await File.ReadAllTextAsync(Path.Combine(SamplesTests.RepositoryRoot(), "README.md"), Ct);
        var commands = ReadmeHelm().Match(readme).Groups[1].Value;
        Assert.Contains("helm install vers charts/vers", commands, StringComparison.Ordinal);

        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = host.WorkDir };
        start.ArgumentList.Add("-euxo");
        start.ArgumentList.Add("pipefail");
        start.Environment.Remove("KUBECONFIG");
        start.Environment["KUBECACHEDIR"] = Path.Combine(host.WorkDir, "kube-cache");
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(host.WorkDir, "helm", "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(host.WorkDir, "helm", "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(host.WorkDir, "helm", "data");
        start.Environment["PATH"] = Path.GetDirectoryName(helm) + ":" + Environment.GetEnvironmentVariable("PATH");
        using var bash = Process.Start(start)!;
        await bash.StandardInput.WriteAsync(commands);
        bash.StandardInput.Close();
        var stdout = bash.StandardOutput.ReadToEndAsync(Ct);
        var stderr = bash.StandardError.ReadToEndAsync(Ct);
        await bash.WaitForExitAsync(Ct);

        Assert.True(bash.ExitCode == 0, $"the README's Helm commands failed (exit {bash.ExitCode}):\n{await stderr}\n{await stdout}");
        var output = await stdout;
        Assert.Contains("STATUS: deployed", output, StringComparison.Ordinal);
        Assert.Contains("Rollback was a success! Happy Helming!", output, StringComparison.Ordinal);
        Assert.Contains("release \"vers\" uninstalled", output, StringComparison.Ordinal);
    }
}
