using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.Tests.Protobuf;

/// <summary>The Go text forms of metav1.Time, MicroTime and Duration.</summary>
public sealed class GoFormatsTests
{
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(1_500L, "1.5\u00b5s")]
    [InlineData(100_000_000L, "100ms")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(259_380_500_000_000L, "72h3m0.5s")]
    [InlineData(-90_000_000_000L, "-1m30s")]
    public void DurationFormatsAsGoDoes(long nanoseconds, string text) => Assert.Equal(text, GoFormats.Duration(nanoseconds));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1h0m0s", 3_600_000_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("-1m30s", -90_000_000_000L)]
    [InlineData("2us", 2_000L)]
    [InlineData("2\u03bcs", 2_000L)]
    [InlineData("300ms", 300_000_000L)]
    public void DurationParsesGoSyntax(string text, long nanoseconds) => Assert.Equal(nanoseconds, GoFormats.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("1d")]
    [InlineData("1.s.")]
    public void DurationRejectsWhatGoRejects(string text) => Assert.Throws<KubeProtobufException>(() => GoFormats.ParseDuration(text));

    [Fact]
    public void TimeIsUtcToTheSecond() =>
        Assert.Equal("2024-05-01T08:20:30Z", GoFormats.Time(GoFormats.ParseTime("2024-05-01T10:20:30.999+02:00").Seconds));

    [Fact]
    public void MicroTimeHasSixFractionalDigits() =>
        Assert.Equal("2024-05-01T10:20:30.000123Z", GoFormats.MicroTime(1714558830, 123_456));
}
