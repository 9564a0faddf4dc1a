using System.Net;
using Vers.ApiShim.Forks;
using Vers.Api;
using Vers.Operator.Forks;

namespace Vers.ApiShim.Tests.Forks;

public sealed class ForkOutcomeTests
{
    private static RepositoryFork Finished(ForkPhase phase, string? reason = null, string message = "m") => new()
    {
        Status = new RepositoryForkStatus
        {
            Phase = phase,
            VmId = "vm",
            CommitId = "c",
            RepoName = "node",
            TagName = "latest",
            Reference = "node:latest",
            Error = reason is null ? null : new ForkError { Reason = reason, Message = message },
        },
    };

    [Fact]
    public void A_succeeded_fork_answers_201_with_the_seed_response_fields()
    {
        var outcome = ForkService.ToOutcome(Finished(ForkPhase.Succeeded));

        Assert.Equal(HttpStatusCode.Created, outcome.Status);
        Assert.Equal(new ForkRepositoryResponse("vm", "c", "node", "latest", "node:latest"), outcome.Response);
    }

    [Theory]
    [InlineData(ForkReasons.Invalid, HttpStatusCode.BadRequest)]
    [InlineData(ForkReasons.SourceNotFound, HttpStatusCode.NotFound)]
    [InlineData(ForkReasons.TargetExists, HttpStatusCode.Conflict)]
    [InlineData(ForkReasons.CloneFailed, HttpStatusCode.InternalServerError)]
    [InlineData(ForkReasons.SnapshotFailed, HttpStatusCode.InternalServerError)]
    [InlineData(ForkReasons.Timeout, HttpStatusCode.InternalServerError)]
    public void A_failed_fork_answers_the_status_its_reason_maps_to(string reason, HttpStatusCode expected)
    {
        var outcome = ForkService.ToOutcome(Finished(ForkPhase.Failed, reason));

        Assert.Equal(expected, outcome.Status);
        Assert.Null(outcome.Response);
        Assert.False(string.IsNullOrEmpty(outcome.Error));
    }

    [Fact]
    public void The_error_body_serialises_with_success_false()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new ErrorResponse("nope"));

        Assert.Equal("""{"error":"nope","success":false}""", json);
    }
}
