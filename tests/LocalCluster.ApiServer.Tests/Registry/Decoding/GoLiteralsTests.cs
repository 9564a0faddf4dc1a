using Vers.LocalCluster.ApiServer.Registry.Decoding;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Decoding;

/// <summary>The Go decoders' errors: encoding/base64 StdEncoding and time.Parse with metav1's layouts.</summary>
public sealed class GoLiteralsTests
{
    [Theory]
    [InlineData("YWJj", null)]
    [InlineData("YWI=", null)]
    [InlineData("YQ==", null)]
    [InlineData("YW\nJj", null)]
    [InlineData("YWJjZ", "illegal base64 data at input byte 4")]
    [InlineData("YWJ", "illegal base64 data at input byte 0")]
    [InlineData("YW=j", "illegal base64 data at input byte 2")]
    [InlineData("Y===", "illegal base64 data at input byte 1")]
    [InlineData("YQ=", "illegal base64 data at input byte 3")]
    [InlineData("YWI=YWJj", "illegal base64 data at input byte 4")]
    public void Base64_errors_name_the_byte_go_reports(string value, string? error) => Assert.Equal(error, GoLiterals.Base64Error(value));

    [Theory]
    [InlineData("2026-01-02T03:04:05Z", null)]
    [InlineData("2026-01-02T03:04:05.5+01:00", null)]
    [InlineData("2026-1-02T03:04:05Z", "parsing time \"2026-1-02T03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"1-02T03:04:05Z\" as \"01\"")]
    [InlineData("2026-01-02 03:04:05Z", "parsing time \"2026-01-02 03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" 03:04:05Z\" as \"T\"")]
    [InlineData("2026-01-02T03:04:05", "parsing time \"2026-01-02T03:04:05\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"Z07:00\"")]
    [InlineData("2026-13-02T03:04:05Z", "parsing time \"2026-13-02T03:04:05Z\": month out of range")]
    [InlineData("2026-02-30T03:04:05Z", "parsing time \"2026-02-30T03:04:05Z\": day out of range")]
    [InlineData("2026-01-02T03:04:05Zjunk", "parsing time \"2026-01-02T03:04:05Zjunk\": extra text: \"junk\"")]
    public void Time_errors_are_go_time_parse_errors(string value, string? error) => Assert.Equal(error, GoLiterals.TimeError(value, micro: false));

    [Fact]
    public void A_micro_time_needs_exactly_six_fractional_digits() =>
        Assert.Equal("parsing time \"2026-01-02T03:04:05.123Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \".123Z\" as \".000000\"",
            GoLiterals.TimeError("2026-01-02T03:04:05.123Z", micro: true));
}
