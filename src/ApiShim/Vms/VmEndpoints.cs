using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Vers.ApiShim.Auth;
using Vers.ApiShim.Forks;
using Vers.ApiShim.Hosting;
using Vers.ApiShim.OpenApi;
using Vers.ApiShim.Repositories;

namespace Vers.ApiShim.Vms;

public static class VmEndpoints
{
    /// <summary>
    /// <c>GET /api/v1/vms</c>: the org's VMs as a JSON array, as Vers answers it (the Vers CLI calls it to check a key
    /// at login).
    /// </summary>
    public static IEndpointRouteBuilder MapVmEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/vms", Results<Ok<IReadOnlyList<VmInfo>>, JsonHttpResult<ErrorResponse>> (HttpContext http, VmCatalog vms) =>
                vms.Of(ApiKeyFilter.OrgOf(http)) is { } list
                    ? TypedResults.Ok(list)
                    : ErrorBodies.Result(StatusCodes.Status403Forbidden, ForkService.OrgHasNoNamespace(ApiKeyFilter.OrgOf(http))))
            .WithTags("vm")
            .WithName("list_vms")
            .WithSummary("The virtual machines of your organisation (KubeVirt VirtualMachines in its namespace)")
            .AddEndpointFilter<ApiKeyFilter>()
            .WithMetadata(new ApiKeyRequired())
            .ProducesOwnErrors();
        return app;
    }
}
