using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Tables;

namespace Vers.LocalCluster.ApiServer.Http;

/// <summary>What the verb handlers share: the registry store and the server's cross-cutting parts.</summary>
internal sealed record ApiServices(
    ResourceStore Store,
    TableConverter Tables,
    TimeProvider Time,
    FaultInjector Faults,
    Func<AccessPolicy> Access,
    AdmissionChain Admission,
    TimeSpan BookmarkInterval,
    CancellationToken Shutdown)
{
    /// <summary>Admission for a write through this endpoint; null (nothing to do) while no plugin is registered.</summary>
    public AdmissionContext? Admit(Microsoft.AspNetCore.Http.HttpContext ctx, RequestScope scope) =>
        Admission.IsEmpty ? null : AdmissionContext.For(Admission, RequestScope.UserOf(ctx), scope.Subresource);
}
