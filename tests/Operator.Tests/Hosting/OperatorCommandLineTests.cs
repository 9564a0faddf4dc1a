using Vers.Operator.Hosting;
using Vers.Testing;

namespace Vers.Operator.Tests.Hosting;

/// <summary>
/// The operator's command line (System.CommandLine, as the all-in-one host's): what each flag sets, the defaults, the
/// Helm chart's flags, the crds command, --help describing every flag, and a bad argument stopping the program with exit
/// code 2 and a message naming it, before it talks to any cluster.
/// </summary>
public sealed class OperatorCommandLineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void No_flags_give_the_documented_defaults()
    {
        var arguments = Read();
        var options = arguments.Options;

        Assert.Equal("http://0.0.0.0:8081", arguments.HealthListen);
        Assert.Null(arguments.Kubeconfig);
        Assert.True(arguments.LeaderElect);
        Assert.Null(arguments.LeaderElectionNamespace);
        Assert.Equal(TimeSpan.FromMinutes(15), options.Forks.CloneTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Forks.StartTimeout);
        Assert.Equal(TimeSpan.FromMinutes(15), options.Forks.SnapshotTimeout);
        Assert.Equal(4, options.Workers);
        Assert.Equal(TimeSpan.FromMilliseconds(5), options.RequeueBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(1000), options.RequeueMaxDelay);
        Assert.Null(options.LeaderElection);
    }

    [Fact]
    public void Every_flag_sets_its_option_in_both_spellings()
    {
        var arguments = Read(
            "--health-listen", "http://127.0.0.1:18081", "--kubeconfig=/tmp/k", "--leader-elect=false", "--leader-election-namespace", "vers",
            "--clone-timeout=1h30m", "--start-timeout", "00:02:00", "--snapshot-timeout=90s", "--max-concurrent-reconciles", "8",
            "--requeue-base-delay=250ms", "--requeue-max-delay", "5m");
        var options = arguments.Options;

        Assert.Equal("http://127.0.0.1:18081", arguments.HealthListen);
        Assert.Equal("/tmp/k", arguments.Kubeconfig);
        Assert.False(arguments.LeaderElect);
        Assert.Equal("vers", arguments.LeaderElectionNamespace);
        Assert.Equal(TimeSpan.FromMinutes(90), options.Forks.CloneTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Forks.StartTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), options.Forks.SnapshotTimeout);
        Assert.Equal(8, options.Workers);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.RequeueBaseDelay);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RequeueMaxDelay);
    }

    [Theory]
    [InlineData("--leader-elect", true)]
    [InlineData("--leader-elect=true", true)]
    [InlineData("--leader-elect=false", false)]
    public void Leader_election_is_on_unless_switched_off(string flag, bool expected) => Assert.Equal(expected, Read(flag).LeaderElect);

    [Fact]
    public void The_charts_command_line_parses()
    {
        var arguments = Read(
            "--health-listen=http://0.0.0.0:8081", "--leader-elect=true", "--leader-election-namespace=vers-system", "--clone-timeout=15m",
            "--start-timeout=10m", "--snapshot-timeout=15m", "--max-concurrent-reconciles=4", "--requeue-base-delay=5ms", "--requeue-max-delay=16m40s");

        Assert.True(arguments.LeaderElect);
        Assert.Equal("vers-system", arguments.LeaderElectionNamespace);
        Assert.Equal(TimeSpan.FromSeconds(1000), arguments.Options.RequeueMaxDelay);
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "'--bogus'")]
    [InlineData(new[] { "serve" }, "'serve'")]
    [InlineData(new[] { "--health-listen" }, "--health-listen")]
    [InlineData(new[] { "--health-listen", ":8081" }, "--health-listen: ':8081' is not an http:// or https:// URL")]
    [InlineData(new[] { "--leader-elect=maybe" }, "maybe")]
    [InlineData(new[] { "--clone-timeout", "15" }, "--clone-timeout: '15' is not a duration (e.g. 90s, 15m, 1h30m)")]
    [InlineData(new[] { "--start-timeout", "soon" }, "--start-timeout: 'soon' is not a duration")]
    [InlineData(new[] { "--snapshot-timeout", "-00:00:01" }, "--snapshot-timeout: '-00:00:01' is not a duration")]
    [InlineData(new[] { "--max-concurrent-reconciles", "0" }, "--max-concurrent-reconciles: '0' is not a positive whole number")]
    [InlineData(new[] { "--requeue-base-delay", "5 ms" }, "--requeue-base-delay: '5 ms' is not a duration")]
    [InlineData(new[] { "--requeue-max-delay", "m" }, "--requeue-max-delay: 'm' is not a duration")]
    [InlineData(new[] { "crds", "--bogus" }, "'--bogus'")]
    public void A_bad_argument_is_a_parse_error_naming_it(string[] args, string message)
    {
        var result = new OperatorCommandLine().Parse(args);

        Assert.Contains(result.Errors, e => e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "--bogus", "x" }, "Unrecognized command or argument '--bogus'")]
    [InlineData(new[] { "--clone-timeout", "soon" }, "--clone-timeout: 'soon' is not a duration (e.g. 90s, 15m, 1h30m)")]
    public async Task The_program_exits_with_2_and_the_message_on_a_bad_argument(string[] args, string message)
    {
        var (exit, _, stderr) = await ProgramRun.RunAsync("Vers.Operator", args, Ct);

        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains("--help", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_describes_every_flag_and_exits_0(string flag)
    {
        var cli = new OperatorCommandLine();
        var (exit, stdout, stderr) = await ProgramRun.RunAsync("Vers.Operator", [flag], Ct);

        Assert.True(exit == 0, stderr);
        Assert.Contains(OperatorCommandLine.Description[..40], stdout, StringComparison.Ordinal);
        foreach (var option in cli.OperatorOptions)
        {
            var line = stdout.Split('\n').SingleOrDefault(l => l.TrimStart().StartsWith(option.Name + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"--help has no line for {option.Name}:\n{stdout}");
            Assert.Contains(option.Description![..Math.Min(30, option.Description!.Length)], line, StringComparison.Ordinal);
            if (option.HelpName is { } helpName)
            {
                Assert.Contains($"{option.Name} <{helpName}>", line, StringComparison.Ordinal);
            }
        }

        Assert.Contains("crds", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_crds_command_writes_every_crd_to_each_directory_it_is_given()
    {
        var dir = Directory.CreateTempSubdirectory("vers-crds-").FullName;
        try
        {
            var (exit, stdout, stderr) = await ProgramRun.RunAsync("Vers.Operator", ["crds", Path.Combine(dir, "a"), Path.Combine(dir, "b")], Ct);

            Assert.True(exit == 0, stderr);
            Assert.Contains($"Wrote 4 CRDs to {Path.Combine(dir, "a")}", stdout, StringComparison.Ordinal);
            Assert.Equal(4, Directory.GetFiles(Path.Combine(dir, "a"), "*.yaml").Length);
            Assert.Equal(4, Directory.GetFiles(Path.Combine(dir, "b"), "*.yaml").Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_crds_command_writes_to_config_and_the_chart_by_default()
    {
        var cli = new OperatorCommandLine();
        var result = cli.Parse(["crds"]);

        Assert.Empty(result.Errors);
        Assert.Equal(["config/crds", "charts/vers/crds"], result.GetValue(cli.CrdDirectories)!);
    }

    private static OperatorArguments Read(params string[] args)
    {
        var cli = new OperatorCommandLine();
        var result = cli.Parse(args);
        Assert.True(result.Errors.Count == 0, string.Join("\n", result.Errors.Select(e => e.Message)));
        return cli.Read(result);
    }
}
