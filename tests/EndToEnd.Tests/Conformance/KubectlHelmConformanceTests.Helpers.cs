using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Vers.EndToEnd.Tests.Conformance;

// What the cases share: running one and checking its command's outcome, the objects cases make through the API, and
// the Helm release's state. No cases here: the cases run, and the table lists them, in the order of the main file.
public sealed partial class KubectlHelmConformanceTests
{
    private Task Case(Func<Task> body, [CallerMemberName] string method = "") => host.CaseAsync(method, body);

    /// <summary>
    /// The command exited with <paramref name="exit"/> and printed each of <paramref name="stdout"/> and <paramref name="stderr"/>;
    /// otherwise fails with a first line that says what we answered (it goes into the table).
    /// </summary>
    private static void Expect(CommandResult result, int exit, string[]? stdout = null, string[]? stderr = null)
    {
        var missing = (stdout ?? []).Where(s => !result.Stdout.Contains(s, StringComparison.Ordinal))
            .Concat((stderr ?? []).Where(s => !result.Stderr.Contains(s, StringComparison.Ordinal)))
            .ToList();
        if (result.Exit == exit && missing.Count == 0)
        {
            return;
        }

        var expected = $"exit {exit}" + (missing.Count > 0 ? " and " + string.Join(", ", missing.Select(m => $"\"{m}\"")) : "");
        throw new XunitException(
            $"we answered: `{result.CommandLine}` exit {result.Exit}: {result.FirstLine}; expected {expected}\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
    }

    private Task CreateConfigMapAsync(string name, string data) =>
        host.SendAsync(HttpMethod.Post, $"api/v1/namespaces/{Ns}/configmaps",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","namespace":"{{{Ns}}}"},"data":{{{data}}}}""");

    private Task CreateDeploymentAsync(string name, int replicas) =>
        host.SendAsync(HttpMethod.Post, $"apis/apps/v1/namespaces/{Ns}/deployments", $$$"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"{{{name}}}","namespace":"{{{Ns}}}"},
             "spec":{"replicas":{{{replicas}}},"selector":{"matchLabels":{"app":"{{{name}}}"}},
                     "template":{"metadata":{"labels":{"app":"{{{name}}}"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]} } } }
            """);

    /// <summary>The release's current revision, 0 when there is none.</summary>
    private async Task<int> RevisionAsync()
    {
        var status = await host.HelmAsync("status", Release, "-n", ReleaseNs, "-o", "json");
        return status.Exit == 0 && JsonNode.Parse(status.Stdout)?["version"] is { } version ? (int)version : 0;
    }

    /// <summary>A case's precondition when it runs alone: the release at <paramref name="revision"/> or later.</summary>
    private async Task UntilRevisionAsync(int revision)
    {
        try
        {
            if (await RevisionAsync() == 0)
            {
                Expect(await host.HelmAsync("install", Release, "charts/vers", "-n", ReleaseNs, "--create-namespace"), 0, stdout: ["STATUS: deployed"]);
            }

            for (var tries = 0; await RevisionAsync() is var current && current < revision && tries < revision; tries++)
            {
                Expect(await host.HelmAsync("upgrade", Release, "charts/vers", "-n", ReleaseNs, "--reuse-values", "--set", $"operator.replicas={(current == 1 ? 1 : 2)}"), 0);
            }
        }
        catch (XunitException e)
        {
            throw new XunitException("precondition (the release at revision " + revision + "): " + e.Message, e);
        }
    }

    private async Task UninstallIfPresentAsync()
    {
        if (await RevisionAsync() > 0)
        {
            Expect(await host.HelmAsync("uninstall", Release, "-n", ReleaseNs), 0);
        }
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    private static async Task<string> UntilLineAsync(List<string> lines, string pattern, Process kubectl)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (Snapshot(lines).FirstOrDefault(l => Regex.IsMatch(l, pattern)) is { } line)
            {
                return line;
            }

            if (kubectl.HasExited)
            {
                break;
            }

            await Task.Delay(50, Ct);
        }

        throw new XunitException($"no line matching {pattern}");
    }

    [GeneratedRegex(@"<!-- helm-embedded:start -->\s*```bash\n(.*?)```\s*<!-- helm-embedded:end -->", RegexOptions.Singleline)]
    private static partial Regex ReadmeHelm();
}
