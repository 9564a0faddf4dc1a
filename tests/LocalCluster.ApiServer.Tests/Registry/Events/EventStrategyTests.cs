using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Events;

/// <summary>Core v1 Events: pkg/apis/core/validation/events.go legacyValidateEvent.</summary>
public sealed class EventStrategyTests
{
    private static string Event(string name, string fields) =>
        $$"""{"apiVersion":"v1","kind":"Event","metadata":{"name":"{{name}}"},"involvedObject":{"kind":"Pod","name":"p","namespace":"default"},{{fields}}}""";

    [Fact]
    public async Task An_old_style_event_as_kubectl_records_it_is_accepted_with_any_path_segment_name()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync(CoreEvents, Event("p.Upper_Case", "\"reason\":\"Started\",\"message\":\"m\",\"type\":\"Normal\",\"firstTimestamp\":\"2026-01-02T03:04:05Z\",\"count\":1"));

        Assert.Equal("p.Upper_Case", r.Str("metadata", "name"));
    }

    [Fact]
    public async Task The_involved_object_must_be_in_the_events_namespace()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(CoreEvents, Event("e", "\"reason\":\"R\"").Replace("\"namespace\":\"default\"", "\"namespace\":\"other\"", StringComparison.Ordinal));

        Assert.Equal("Event \"e\" is invalid: involvedObject.namespace: Invalid value: \"other\": does not match event.namespace", message);
    }

    [Fact]
    public async Task A_new_style_event_needs_reporting_component_instance_action_and_reason()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(CoreEvents, Event("e", "\"eventTime\":\"2026-01-02T03:04:05.000000Z\""));

        // An empty reportingComponent is also not a qualified name: upstream reports both.
        Assert.StartsWith("Event \"e\" is invalid: [reportingComponent: Required value, reportingComponent: Invalid value: \"\": name part must be non-empty, ", message, StringComparison.Ordinal);
        Assert.EndsWith(", reportingInstance: Required value, action: Required value, reason: Required value]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_style_event_reason_is_at_most_128_characters()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(CoreEvents, Event("e", $"\"eventTime\":\"2026-01-02T03:04:05.000000Z\",\"reportingComponent\":\"x.io/c\",\"reportingInstance\":\"i\",\"action\":\"A\",\"reason\":\"{new string('r', 129)}\""));

        Assert.Equal("Event \"e\" is invalid: reason: Invalid value: \"\": can have at most 128 characters", message);
    }

    [Fact]
    public async Task An_event_time_in_a_wrong_format_is_400()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(CoreEvents, Event("e", "\"eventTime\":\"yesterday\""), 400);

        Assert.Equal("Event in version \"v1\" cannot be handled as a Event: parsing time \"yesterday\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"yesterday\" as \"2006\"", message);
    }
}
