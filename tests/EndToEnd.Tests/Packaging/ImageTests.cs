using System.Text.RegularExpressions;

namespace Vers.EndToEnd.Tests.Packaging;

/// <summary>
/// The Dockerfiles cannot be built here (no container engine), so their facts are checked against the repository
/// and the chart: what they copy exists, the entrypoint is the project's binary, the user and ports are the chart's.
/// </summary>
public sealed partial class ImageTests
{
    [Theory]
    [InlineData("src/Operator/Dockerfile", "Vers.Operator", "8081")]
    [InlineData("src/ApiShim/Dockerfile", "Vers.ApiShim", "8080")]
    public void The_dockerfile_builds_the_project_and_runs_it_as_the_charts_non_root_user(string dockerfile, string assembly, string port)
    {
        var root = SamplesTests.RepositoryRoot();
        var text = File.ReadAllText(Path.Combine(root, dockerfile));
        var values = File.ReadAllText(Path.Combine(root, "charts", "vers", "values.yaml"));

        foreach (Match copy in CopyFromContext().Matches(text))
        {
            foreach (var source in copy.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            {
                Assert.True(File.Exists(Path.Combine(root, source)) || Directory.Exists(Path.Combine(root, source)), $"{dockerfile}: COPY {source} does not exist");
            }
        }

        Assert.Contains("AS build", text, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:", text, StringComparison.Ordinal);
        Assert.Contains($"ENTRYPOINT [\"/app/{assembly}\"]", text, StringComparison.Ordinal);
        Assert.Contains($"EXPOSE {port}", text, StringComparison.Ordinal);
        var user = UserLine().Match(text).Groups[1].Value;
        Assert.NotEqual("0", user);
        Assert.Contains($"runAsUser: {user}", values, StringComparison.Ordinal);
        Assert.Contains($"<AssemblyName>{assembly}</AssemblyName>", File.ReadAllText(Directory.GetFiles(Path.Combine(root, Path.GetDirectoryName(dockerfile)!), "*.csproj").Single()), StringComparison.Ordinal);

        // Every project the image's project builds on (transitively) is copied, its .csproj before the restore.
        var project = Path.GetRelativePath(root, Directory.GetFiles(Path.Combine(root, Path.GetDirectoryName(dockerfile)!), "*.csproj").Single()).Replace('\\', '/');
        foreach (var reference in ProjectClosure(root, project))
        {
            var dir = Path.GetDirectoryName(reference)!.Replace('\\', '/');
            Assert.Contains($"COPY {reference} {dir}/", text, StringComparison.Ordinal);
            Assert.Contains($"COPY {dir}/ {dir}/", text, StringComparison.Ordinal);
        }
    }

    /// <summary>The project and every project it references, directly or not, as paths from the repository root.</summary>
    private static SortedSet<string> ProjectClosure(string root, string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }

            foreach (Match reference in ProjectReference().Matches(File.ReadAllText(Path.Combine(root, next))))
            {
                var full = Path.GetFullPath(Path.Combine(root, Path.GetDirectoryName(next)!, reference.Groups[1].Value));
                pending.Push(Path.GetRelativePath(root, full).Replace('\\', '/'));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"<ProjectReference Include=""([^""]+)""")]
    private static partial Regex ProjectReference();

    [GeneratedRegex(@"^COPY (?!--from)(.+)$", RegexOptions.Multiline)]
    private static partial Regex CopyFromContext();

    [GeneratedRegex(@"^USER (\d+):\d+$", RegexOptions.Multiline)]
    private static partial Regex UserLine();
}
