using System.CommandLine;
using Vers.Operator.Hosting;

namespace Vers.Operator;

/// <summary>
/// <c>Vers.Operator [--health-listen URL] [--kubeconfig PATH] [--leader-elect[=false]] [--leader-election-namespace NS]
/// [--clone-timeout DURATION] [--start-timeout DURATION] [--snapshot-timeout DURATION] [--max-concurrent-reconciles N]
/// [--requeue-base-delay DURATION] [--requeue-max-delay DURATION]</c> runs the operator; <c>crds [DIR]...</c> writes
/// the CRDs. The flags are <see cref="OperatorCommandLine"/>'s; <c>--help</c> describes each.
/// </summary>
public static class Program
{
    /// <summary>Exit code for a command line the operator cannot start with (as for a usage error in most Unix tools).</summary>
    public const int BadArguments = Flags.BadArguments;

    public static async Task<int> Main(string[] args)
    {
        var cli = new OperatorCommandLine();
        cli.Root.SetAction((parsed, _) => OperatorHost.RunAsync(cli.Read(parsed)));
        var result = cli.Parse(args);
        // --help, --version, crds, or the operator; ASP.NET Core's host handles Ctrl+C and SIGTERM (a graceful stop).
        return await Flags.InvokeAsync(result);
    }
}
