using System.Diagnostics;

namespace Vers.Testing;

/// <summary>Runs one of the programs built beside the tests (its apphost) with arguments, in an empty directory of its own.</summary>
internal static class ProgramRun
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, program))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory.CreateTempSubdirectory("vers-cli-").FullName,
        };
        // No cluster to find by accident: a program that got past its command line fails fast instead of serving.
        start.Environment["KUBECONFIG"] = Path.Combine(start.WorkingDirectory, "no-kubeconfig");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A program that started instead of stopping at its command line: end it, and fail on its exit code.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(ct);
        }

        Directory.Delete(start.WorkingDirectory, recursive: true);
        return (process.ExitCode, await stdout, await stderr);
    }
}
