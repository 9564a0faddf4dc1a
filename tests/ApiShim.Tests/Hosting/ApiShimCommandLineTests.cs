using Vers.ApiShim.Hosting;
using Vers.Testing;

namespace Vers.ApiShim.Tests.Hosting;

/// <summary>
/// The API shim's command line (System.CommandLine, as the all-in-one host's): what each flag sets, the defaults the chart
/// relies on, the keys and orgs commands, --help describing every flag, and a bad argument stopping the program with exit
/// code 2 and a message naming it, before it talks to any cluster.
/// </summary>
public sealed class ApiShimCommandLineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void No_flags_serve_with_the_documented_defaults()
    {
        var arguments = Read();
        var options = arguments.Options;

        Assert.Null(arguments.Command);
        Assert.Null(arguments.Kubeconfig);
        Assert.Null(arguments.Context);
        Assert.Null(arguments.ReleaseNamespace);
        Assert.Equal("http://0.0.0.0:8080", options.Listen);
        Assert.Equal("http://0.0.0.0:9090", options.MetricsListen);
        Assert.Equal(TimeSpan.FromSeconds(120), options.WaitTimeout);
        Assert.Equal(TimeSpan.FromHours(24), options.ForkTtl);
        Assert.Equal(TimeSpan.FromMinutes(10), options.FailedForkTtl);
        Assert.Equal(50, options.MaxUnfinishedForksPerOrg);
        Assert.Equal(new OrgRateLimit { Burst = 100, TokensPerPeriod = 20, Period = TimeSpan.FromSeconds(1) }, options.RateLimit);
        Assert.Equal(new OrgRateLimit { Burst = 100, TokensPerPeriod = 20, Period = TimeSpan.FromSeconds(1) }, options.UnauthenticatedRateLimit);
    }

    [Fact]
    public void Every_flag_sets_its_option_in_both_spellings()
    {
        var arguments = Read(
            "--kubeconfig", "/tmp/k", "--context=ctx", "--release-namespace", "vers", "--listen=http://127.0.0.1:18080",
            "--metrics-listen", "http://127.0.0.1:9999", "--wait-timeout=45", "--fork-ttl", "1h", "--failed-fork-ttl=90s",
            "--max-unfinished-forks", "7", "--rate-limit-burst=3", "--rate-limit-per-second", "2",
            "--unauthenticated-rate-limit-burst", "5", "--unauthenticated-rate-limit-per-second=4");
        var options = arguments.Options;

        Assert.Equal("/tmp/k", arguments.Kubeconfig);
        Assert.Equal("ctx", arguments.Context);
        Assert.Equal("vers", arguments.ReleaseNamespace);
        Assert.Equal("http://127.0.0.1:18080", options.Listen);
        Assert.Equal("http://127.0.0.1:9999", options.MetricsListen);
        Assert.Equal(TimeSpan.FromSeconds(45), options.WaitTimeout);
        Assert.Equal(TimeSpan.FromHours(1), options.ForkTtl);
        Assert.Equal(TimeSpan.FromSeconds(90), options.FailedForkTtl);
        Assert.Equal(7, options.MaxUnfinishedForksPerOrg);
        Assert.Equal(new OrgRateLimit { Burst = 3, TokensPerPeriod = 2, Period = TimeSpan.FromSeconds(1) }, options.RateLimit);
        Assert.Equal(new OrgRateLimit { Burst = 5, TokensPerPeriod = 4, Period = TimeSpan.FromSeconds(1) }, options.UnauthenticatedRateLimit);
    }

    [Fact]
    public void The_charts_command_line_parses()
    {
        var arguments = Read("--listen=http://0.0.0.0:8080", "--metrics-listen=http://0.0.0.0:9090", "--release-namespace=vers-system");

        Assert.Equal("vers-system", arguments.ReleaseNamespace);
        Assert.Equal("http://0.0.0.0:9090", arguments.Options.MetricsListen);
    }

    [Theory]
    [InlineData("--wait-timeout", "45", 45)]
    [InlineData("--wait-timeout", "2m", 120)]
    [InlineData("--wait-timeout", "00:02:00", 120)]
    [InlineData("--failed-fork-ttl", "90s", 90)]
    [InlineData("--fork-ttl", "1h", 3600)]
    public void Duration_flags_take_seconds_or_go_durations(string flag, string value, int seconds)
    {
        var options = Read(flag, value).Options;

        var actual = flag switch
        {
            "--wait-timeout" => options.WaitTimeout,
            "--failed-fork-ttl" => options.FailedForkTtl,
            _ => options.ForkTtl,
        };
        Assert.Equal(TimeSpan.FromSeconds(seconds), actual);
    }

    [Fact]
    public void Metrics_off_serves_them_on_the_api_port()
    {
        Assert.Null(Read("--metrics-listen", "off").Options.MetricsListen);
        Assert.Equal(ApiShimCommandLine.DefaultMetricsListen, Read().Options.MetricsListen);
    }

    [Fact]
    public void A_cap_or_rate_of_zero_switches_that_limit_off()
    {
        var options = Read("--max-unfinished-forks", "0", "--unauthenticated-rate-limit-per-second", "0", "--rate-limit-per-second", "0").Options;

        Assert.Null(options.MaxUnfinishedForksPerOrg);
        Assert.Null(options.UnauthenticatedRateLimit);
        Assert.Null(options.RateLimit);
    }

    [Theory]
    [InlineData("keys", "create", "--org", "acme")]
    [InlineData("keys", "create", "--org=acme", "--kubeconfig", "/tmp/k", "--release-namespace", "vers")]
    [InlineData("keys", "revoke", "0123", "--kubeconfig", "/tmp/k")]
    [InlineData("keys", "list", "--context", "ctx")]
    [InlineData("orgs", "create", "acme", "--namespace", "acme-ns", "--kubeconfig", "/tmp/k")]
    [InlineData("orgs", "list")]
    public void The_readmes_commands_parse_with_the_cluster_flags_anywhere(params string[] args)
    {
        var arguments = Read(args);

        Assert.NotNull(arguments.Command);
        if (args.Contains("--kubeconfig"))
        {
            Assert.Equal("/tmp/k", arguments.Kubeconfig);
        }
    }

    [Fact]
    public void A_value_starting_with_an_at_sign_is_a_value_not_a_response_file() =>
        Assert.Equal("@not-a-response-file", Read("--context", "@not-a-response-file").Context);

    [Theory]
    [InlineData(new[] { "--bogus" }, "'--bogus'")]
    [InlineData(new[] { "serve" }, "'serve'")]
    [InlineData(new[] { "--listen" }, "--listen")]
    [InlineData(new[] { "--listen", "0.0.0.0:8080" }, "--listen: '0.0.0.0:8080' is not an http:// or https:// URL")]
    [InlineData(new[] { "--metrics-listen", "none" }, "--metrics-listen: 'none' is not an http:// or https:// URL (e.g. http://127.0.0.1:8080) or off")]
    [InlineData(new[] { "--wait-timeout", "soon" }, "--wait-timeout: 'soon' is not seconds or a duration (e.g. 120, 90s, 10m)")]
    [InlineData(new[] { "--fork-ttl", "-1" }, "--fork-ttl: '-1' is not seconds or a duration")]
    [InlineData(new[] { "--failed-fork-ttl", "-00:00:01" }, "--failed-fork-ttl: '-00:00:01' is not seconds or a duration")]
    [InlineData(new[] { "--max-unfinished-forks", "many" }, "--max-unfinished-forks: 'many' is not a whole number")]
    [InlineData(new[] { "--rate-limit-burst", "-1" }, "--rate-limit-burst: '-1' is not a whole number")]
    [InlineData(new[] { "--rate-limit-per-second", "1.5" }, "--rate-limit-per-second: '1.5' is not a whole number")]
    [InlineData(new[] { "--unauthenticated-rate-limit-burst", "x" }, "--unauthenticated-rate-limit-burst: 'x' is not a whole number")]
    [InlineData(new[] { "--unauthenticated-rate-limit-per-second", "99999999999" }, "--unauthenticated-rate-limit-per-second: '99999999999' is not a whole number")]
    [InlineData(new[] { "keys" }, "Required command was not provided")]
    [InlineData(new[] { "keys", "create" }, "--org")]
    [InlineData(new[] { "keys", "create", "--org=" }, "--org")]
    [InlineData(new[] { "keys", "create", "--org", "" }, "--org: must not be empty")]
    [InlineData(new[] { "keys", "revoke" }, "KEY_ID")]
    [InlineData(new[] { "keys", "list", "--listen", "http://0.0.0.0:1" }, "'--listen'")]
    [InlineData(new[] { "orgs", "create" }, "ORG")]
    public void A_bad_argument_is_a_parse_error_naming_it(string[] args, string message)
    {
        var result = new ApiShimCommandLine().Parse(args);

        Assert.Contains(result.Errors, e => e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "--bogus", "x" }, "Unrecognized command or argument '--bogus'")]
    [InlineData(new[] { "--wait-timeout", "soon" }, "--wait-timeout: 'soon' is not seconds or a duration")]
    [InlineData(new[] { "keys", "create" }, "--org")]
    public async Task The_program_exits_with_2_and_the_message_on_a_bad_argument(string[] args, string message)
    {
        var (exit, _, stderr) = await ProgramRun.RunAsync("Vers.ApiShim", args, Ct);

        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains("--help", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_kubeconfig_the_program_exits_with_1_and_says_so()
    {
        var (exit, _, stderr) = await ProgramRun.RunAsync("Vers.ApiShim", ["keys", "list"], Ct);

        Assert.Equal(1, exit);
        Assert.StartsWith("cannot load the kubeconfig: ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_describes_every_flag_and_exits_0(string flag)
    {
        var cli = new ApiShimCommandLine();
        var (exit, stdout, stderr) = await ProgramRun.RunAsync("Vers.ApiShim", [flag], Ct);

        Assert.True(exit == 0, stderr);
        Assert.Contains(ApiShimCommandLine.Description[..40], stdout, StringComparison.Ordinal);
        foreach (var option in cli.ServerOptions)
        {
            var line = stdout.Split('\n').SingleOrDefault(l => l.TrimStart().StartsWith(option.Name + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"--help has no line for {option.Name}:\n{stdout}");
            Assert.Contains(option.Description![..Math.Min(30, option.Description!.Length)], line, StringComparison.Ordinal);
            Assert.Contains($"{option.Name} <{option.HelpName}>", line, StringComparison.Ordinal);
        }

        Assert.Contains("keys", stdout, StringComparison.Ordinal);
        Assert.Contains("orgs", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys", "create", "--help")]
    [InlineData("orgs", "create", "--help")]
    public async Task Help_of_a_command_names_its_arguments(params string[] args)
    {
        var (exit, stdout, stderr) = await ProgramRun.RunAsync("Vers.ApiShim", args, Ct);

        Assert.True(exit == 0, stderr);
        Assert.Contains(args[0] == "keys" ? "--org <ORG>" : "--namespace <NS>", stdout, StringComparison.Ordinal);
        Assert.Contains("--kubeconfig <PATH>", stdout, StringComparison.Ordinal);
    }

    private static ApiShimArguments Read(params string[] args)
    {
        var cli = new ApiShimCommandLine();
        var result = cli.Parse(args);
        Assert.True(result.Errors.Count == 0, string.Join("\n", result.Errors.Select(e => e.Message)));
        return cli.Read(result);
    }
}
