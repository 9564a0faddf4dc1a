using System.Collections.Concurrent;
using Vers.LocalCluster.ApiServer.Authorization;

namespace Vers.LocalCluster.ApiServer;

/// <summary>A user a bearer token authenticates as (TokenReview <c>status.user</c>).</summary>
public sealed record TokenUser(string Username, string Uid = "", IReadOnlyList<string>? Groups = null);

/// <summary>
/// One allow- or deny-list entry for access reviews. Null fields match anything; <see cref="Resource"/> is the plural
/// (with <c>/subresource</c> when the review names one).
/// </summary>
public sealed record AccessRule(string? User = null, string? Verb = null, string? Group = null, string? Resource = null, string? Namespace = null);

/// <summary>The attributes an access review asks about.</summary>
public sealed record AccessRequest(string User, IReadOnlyList<string> Groups, string Verb, string Group, string Resource, string Namespace, string Name);

/// <summary>
/// The server's token authenticator and the answers to TokenReview and SubjectAccessReview (plus the self and local
/// variants): a token table (requests with a bearer token not in it are 401), and either allow-all (the default) or an
/// allow list, with a deny list that always wins. Changes apply to the next request. The server enforces
/// what the reviews answer (every resource request is authorized), and members of system:masters may do anything.
/// With <see cref="Rbac"/> on, what the stored Roles, ClusterRoles and their bindings grant is allowed too: the
/// authorizers are asked in kube-apiserver's union order (system:masters, the deny rules, allow-all or the allow rules,
/// then RBAC), and the first that decides answers.
/// </summary>
public sealed class AccessPolicy
{
    private readonly ConcurrentDictionary<string, TokenUser> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<AccessRule> _allow = new();
    private readonly ConcurrentQueue<AccessRule> _deny = new();

    public const string SystemMasters = "system:masters";

    /// <summary>Allow every request no deny rule matches (true by default, like an unsecured test cluster).</summary>
    public bool AllowAll { get; set; } = true;

    /// <summary>
    /// Also authorize by the server's RBAC objects (plugin/pkg/auth/authorizer/rbac), as <c>--authorization-mode=RBAC</c>
    /// does; off by default. See <see cref="WithRbac"/>.
    /// </summary>
    public bool Rbac { get; set; }

    // The RBAC authorizer over the store of the server this policy serves (set when the server takes the policy).
    private RbacAuthorizer? _rbac;

    /// <summary>A policy that allows the admin (system:masters) and what RBAC grants: a secured cluster's default.</summary>
    public static AccessPolicy WithRbac() => new() { AllowAll = false, Rbac = true };

    internal AccessPolicy Attach(RbacAuthorizer rbac)
    {
        _rbac = rbac;
        return this;
    }

    public AccessPolicy AddToken(string token, TokenUser user)
    {
        _tokens[token] = user;
        return this;
    }

    public AccessPolicy Allow(AccessRule rule)
    {
        _allow.Enqueue(rule);
        return this;
    }

    public AccessPolicy Deny(AccessRule rule)
    {
        _deny.Enqueue(rule);
        return this;
    }

    public TokenUser? Authenticate(string token) => _tokens.GetValueOrDefault(token);

    /// <summary>(allowed, denied, reason) as SubjectAccessReviewStatus carries them.</summary>
    public (bool Allowed, bool Denied, string Reason) Authorize(AccessRequest request)
    {
        // kube-apiserver puts the privileged-group authorizer first in its union (authorizerfactory): system:masters
        // (the cluster admin) is allowed everything, deny rules included.
        if (request.Groups.Contains(SystemMasters))
        {
            return (true, false, "");
        }

        if (_deny.FirstOrDefault(r => Matches(r, request)) is { } deny)
        {
            return (false, true, $"denied by LocalCluster policy rule {deny}");
        }

        if (AllowAll)
        {
            return (true, false, "allowed by LocalCluster policy: allow-all");
        }

        if (_allow.FirstOrDefault(r => Matches(r, request)) is { } allow)
        {
            return (true, false, $"allowed by LocalCluster policy rule {allow}");
        }

        if (Rbac && _rbac is { } rbac)
        {
            var (allowed, reason) = rbac.Authorize(RbacRequest.From(request));
            return (allowed, false, reason);
        }

        return (false, false, ""); // no opinion has no reason, as the RBAC authorizer answers (kubectl then prints a bare "no")
    }

    /// <summary>The RBAC rules that apply to the user in <paramref name="ns"/> and the errors resolving them (none when RBAC is off).</summary>
    internal (List<PolicyRule> Rules, List<string> Errors) RbacRulesFor(string user, IReadOnlyList<string> groups, string ns) =>
        Rbac && _rbac is { } rbac ? rbac.RulesFor(user, groups, ns) : ([], []);

    /// <summary>
    /// What <paramref name="user"/> may do in <paramref name="ns"/>, as SelfSubjectRulesReview lists it: the allow
    /// rules that apply (every rule under allow-all), and whether deny rules that apply make the list say more than
    /// is allowed (<c>incomplete</c>: a rules review cannot express a denial).
    /// </summary>
    public (IReadOnlyList<AccessRule> Allowed, bool Incomplete) RulesFor(string user, IReadOnlyList<string> groups, string ns)
    {
        bool Applies(AccessRule r) =>
            (r.User is null || r.User == user || groups.Contains(r.User)) && (r.Namespace is null || r.Namespace == ns);

        var incomplete = _deny.Any(Applies);
        return AllowAll ? ([new AccessRule()], incomplete) : ([.. _allow.Where(Applies)], incomplete);
    }

    private static bool Matches(AccessRule rule, AccessRequest request) =>
        (rule.User is null || rule.User == request.User || request.Groups.Contains(rule.User))
        && (rule.Verb is null || rule.Verb == "*" || rule.Verb == request.Verb)
        && (rule.Group is null || rule.Group == "*" || rule.Group == request.Group)
        && (rule.Resource is null || rule.Resource == "*" || rule.Resource == request.Resource)
        && (rule.Namespace is null || rule.Namespace == request.Namespace);
}
