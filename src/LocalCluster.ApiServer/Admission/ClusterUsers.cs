using System.Runtime.CompilerServices;

namespace Vers.LocalCluster.ApiServer.Admission;

/// <summary>The users requests authenticate as, and the ones the embedded controllers write as.</summary>
internal static class ClusterUsers
{
    private const string Authenticated = "system:authenticated";

    private static readonly ConditionalWeakTable<TokenUser, AdmissionUser> TokenUsers = [];

    /// <summary>
    /// The embedded cluster's administrator: requests without a bearer token. The kubeconfig the host writes carries
    /// no credentials, so this plays what k3s' admin client certificate is (CN system:admin, O system:masters).
    /// </summary>
    public static readonly AdmissionUser Admin = new("system:admin", ["system:masters", Authenticated]);

    /// <summary>The loopback client kube-apiserver's own controllers (here: the CRD finalizer) write with.</summary>
    public static readonly AdmissionUser ApiServer = new("system:apiserver", ["system:masters", Authenticated]);

    public static readonly AdmissionUser GarbageCollector = Controller("generic-garbage-collector");
    public static readonly AdmissionUser NamespaceController = Controller("namespace-controller");
    public static readonly AdmissionUser PvcProtectionController = Controller("pvc-protection-controller");
    public static readonly AdmissionUser PvProtectionController = Controller("pv-protection-controller");

    /// <summary>
    /// A token's user as the request carries it: its groups plus system:authenticated, which kube-apiserver's
    /// AuthenticatedGroupAdder (staging/src/k8s.io/apiserver/pkg/authentication/group/authenticated_group_adder.go)
    /// adds to every authenticated user. Built once per table entry.
    /// </summary>
    public static AdmissionUser Of(TokenUser user) => TokenUsers.GetValue(user, static u =>
    {
        var groups = u.Groups ?? [];
        return new AdmissionUser(u.Username, groups.Contains(Authenticated) ? [.. groups] : [.. groups, Authenticated], u.Uid);
    });

    /// <summary>kube-controller-manager's per-controller service accounts (--use-service-account-credentials).</summary>
    private static AdmissionUser Controller(string name) =>
        new($"system:serviceaccount:kube-system:{name}", ["system:serviceaccounts", "system:serviceaccounts:kube-system", Authenticated]);
}
