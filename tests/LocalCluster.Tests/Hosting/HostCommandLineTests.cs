using System.CommandLine;
using System.Text.RegularExpressions;
using Vers.LocalCluster.Hosting;
using Vers.Testing;

namespace Vers.LocalCluster.Tests.Hosting;

/// <summary>
/// The all-in-one host's command line (System.CommandLine): what each flag sets, --help describing every flag the README's
/// table lists, and a bad argument stopping the program with exit code 2 and a message naming it, before anything starts.
/// </summary>
public sealed partial class HostCommandLineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void No_flags_give_the_documented_defaults()
    {
        var (options, latency, faults) = Read();

        Assert.Equal("http://127.0.0.1:8080", options.Listen);
        Assert.Equal("http://127.0.0.1:9090", options.MetricsListen);
        Assert.Equal("http://127.0.0.1:6443", options.KubeListen);
        Assert.Equal(".vers/kubeconfig", options.Kubeconfig);
        Assert.Null(options.DevApiKey);
        Assert.True(options.Seed);
        Assert.Null(options.DataDir);
        Assert.Equal(TimeSpan.Zero, latency);
        Assert.Empty(faults);
    }

    [Fact]
    public void Every_flag_sets_its_option_in_both_spellings()
    {
        var (options, latency, faults) = Read(
            "--listen", "http://0.0.0.0:18080", "--metrics-listen=off", "--kube-listen", "http://localhost:0", "--kubeconfig=/tmp/k",
            "--dev-api-key", "cli-dev-key-0123456789", "--no-seed", "--data-dir", "/tmp/state",
            "--sim-latency=1h30m", "--sim-fault", "deny-create=datavolumes", "--sim-fault=unschedulable=1s", "--sim-fault", "exclude-volumes");

        Assert.Equal("http://0.0.0.0:18080", options.Listen);
        Assert.Null(options.MetricsListen);
        Assert.Equal("http://localhost:0", options.KubeListen);
        Assert.Equal("/tmp/k", options.Kubeconfig);
        Assert.Equal("cli-dev-key-0123456789", options.DevApiKey);
        Assert.False(options.Seed);
        Assert.Equal("/tmp/state", options.DataDir);
        Assert.Equal(TimeSpan.FromMinutes(90), latency);
        Assert.Equal(["deny-create=datavolumes", "unschedulable=1s", "exclude-volumes"], faults);
    }

    [Fact]
    public void A_value_starting_with_an_at_sign_is_a_value_not_a_response_file()
    {
        var (options, _, _) = Read("--dev-api-key", "@not-a-response-file-0123");

        Assert.Equal("@not-a-response-file-0123", options.DevApiKey);
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "'--bogus'")]
    [InlineData(new[] { "serve" }, "'serve'")]
    [InlineData(new[] { "--listen" }, "--listen")]
    [InlineData(new[] { "--listen", "127.0.0.1:8080" }, "--listen: '127.0.0.1:8080' is not an http:// or https:// URL")]
    [InlineData(new[] { "--metrics-listen", "none" }, "--metrics-listen: 'none' is not an http:// or https:// URL")]
    [InlineData(new[] { "--kube-listen", "http://*:6443" }, "--kube-listen: 'http://*:6443' is not an http:// URL with an IP address or localhost")]
    [InlineData(new[] { "--dev-api-key", "short" }, "--dev-api-key: must be at least 16 printable ASCII characters")]
    [InlineData(new[] { "--sim-latency", "soon" }, "--sim-latency: 'soon' is not a duration (e.g. 2s, 500ms)")]
    [InlineData(new[] { "--sim-latency", "-00:00:01" }, "--sim-latency: '-00:00:01' is not a duration")]
    [InlineData(new[] { "--sim-fault", "explode" }, "--sim-fault explode: expected deny-create=<resource plural>")]
    [InlineData(new[] { "--sim-fault", "fail=nodes" }, "--sim-fault fail=nodes: fail= takes one of")]
    public void A_bad_argument_is_a_parse_error_naming_it(string[] args, string message)
    {
        var result = new HostCommandLine().Parse(args);

        Assert.Contains(result.Errors, e => e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "--bogus", "x" }, "Unrecognized command or argument '--bogus'")]
    [InlineData(new[] { "--sim-latency", "soon" }, "--sim-latency: 'soon' is not a duration (e.g. 2s, 500ms)")]
    [InlineData(new[] { "--kube-listen", "ftp://127.0.0.1:6443" }, "--kube-listen: 'ftp://127.0.0.1:6443' is not an http:// URL")]
    public async Task The_program_exits_with_2_and_the_message_on_a_bad_argument(string[] args, string message)
    {
        var (exit, stdout, stderr) = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains("--help", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("is ready", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_describes_every_flag_of_the_readme_table_and_exits_0(string flag)
    {
        var cli = new HostCommandLine();
        var (exit, stdout, stderr) = await RunAsync(flag);

        Assert.True(exit == 0, stderr);
        Assert.Contains("dotnet run --project src/LocalCluster -- [options]", stdout, StringComparison.Ordinal);
        foreach (var name in await ReadmeFlagsAsync())
        {
            var option = cli.HostOptions.Single(o => o.Name == name);
            var line = stdout.Split('\n').SingleOrDefault(l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"--help has no line for {name}:\n{stdout}");
            // The description's first words on the option's line (help wraps long lines only on narrow terminals).
            Assert.Contains(option.Description![..Math.Min(30, option.Description!.Length)], line, StringComparison.Ordinal);
            if (option.HelpName is { } helpName)
            {
                Assert.Contains($"{name} <{helpName}>", line, StringComparison.Ordinal);
            }
        }

        Assert.Contains("-h, --help", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readme_table_lists_exactly_the_hosts_flags()
    {
        var documented = await ReadmeFlagsAsync();

        Assert.Equal(new HostCommandLine().HostOptions.Select(o => o.Name).Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    private static HostArguments Read(params string[] args)
    {
        var cli = new HostCommandLine();
        var result = cli.Parse(args);
        Assert.True(result.Errors.Count == 0, string.Join("\n", result.Errors.Select(e => e.Message)));
        return cli.Read(result);
    }

    /// <summary>The flags in the first column of the README's "All-in-one host flags" table.</summary>
    private static async Task<IReadOnlyList<string>> ReadmeFlagsAsync()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"), Ct);
        var section = readme[readme.IndexOf("### All-in-one host flags", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n#", 1, StringComparison.Ordinal)];
        var flags = TableFlag().Matches(section).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(flags);
        return flags;
    }

    private static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) => ProgramRun.RunAsync("Vers.LocalCluster", args, Ct);

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vers.Operator.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex(@"^\| `(--[a-z-]+)", RegexOptions.Multiline)]
    private static partial Regex TableFlag();
}
