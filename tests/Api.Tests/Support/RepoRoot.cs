namespace Vers.Api.Tests.Support;

internal static class RepoRoot
{
    /// <summary>The directory holding Vers.Operator.sln, found by walking up from the test binaries.</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vers.Operator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Vers.Operator.sln above {AppContext.BaseDirectory}");
    }
}
