using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.ApiServer.Authorization;

namespace Vers.LocalCluster.ApiServer.Tests.Authorization;

/// <summary>Rule matching as rbac.go RuleAllows and rbac/v1 evaluation_helpers.go do it.</summary>
public sealed class PolicyRulesTests
{
    private static PolicyRule Rule(string[] verbs, string[]? groups = null, string[]? resources = null, string[]? names = null, string[]? urls = null) =>
        new(verbs, groups ?? [], resources ?? [], names ?? [], urls ?? []);

    private static RbacRequest Req(string verb, string resource, string group = "", string sub = "", string name = "", string ns = "ns") =>
        new("alice", ["system:authenticated"], verb, group, resource, sub, ns, name);

    private static RbacRequest Path(string verb, string path) => new("alice", [], verb, "", "", "", "", "", path);

    [Fact]
    public void A_rule_allows_a_request_whose_verb_group_and_resource_it_lists() =>
        Assert.True(PolicyRules.RuleAllows(Req("list", "configmaps"), Rule(["get", "list"], [""], ["configmaps"])));

    [Fact]
    public void Another_verb_is_not_allowed() =>
        Assert.False(PolicyRules.RuleAllows(Req("delete", "configmaps"), Rule(["get", "list"], [""], ["configmaps"])));

    [Fact]
    public void Another_api_group_is_not_allowed() =>
        Assert.False(PolicyRules.RuleAllows(Req("get", "deployments", "apps"), Rule(["get"], [""], ["deployments"])));

    [Fact]
    public void Star_matches_every_verb_group_and_resource() =>
        Assert.True(PolicyRules.RuleAllows(Req("deletecollection", "widgets", "example.com"), Rule(["*"], ["*"], ["*"])));

    [Fact]
    public void A_resource_rule_does_not_cover_its_subresources() =>
        Assert.False(PolicyRules.RuleAllows(Req("get", "pods", sub: "log"), Rule(["get"], [""], ["pods"])));

    [Fact]
    public void Resource_slash_subresource_matches_that_subresource() =>
        Assert.True(PolicyRules.RuleAllows(Req("get", "pods", sub: "log"), Rule(["get"], [""], ["pods/log"])));

    [Fact]
    public void Star_slash_subresource_matches_the_subresource_of_any_resource() =>
        Assert.True(PolicyRules.RuleAllows(Req("update", "deployments", "apps", sub: "scale"), Rule(["update"], ["apps"], ["*/scale"])));

    [Fact]
    public void Star_slash_subresource_does_not_match_the_resource_itself() =>
        Assert.False(PolicyRules.RuleAllows(Req("update", "deployments", "apps"), Rule(["update"], ["apps"], ["*/scale"])));

    [Fact]
    public void Resource_slash_star_is_no_wildcard_upstream() =>
        Assert.False(PolicyRules.RuleAllows(Req("get", "pods", sub: "log"), Rule(["get"], [""], ["pods/*"])));

    [Fact]
    public void Resource_names_restrict_the_rule_to_those_names() =>
        Assert.False(PolicyRules.RuleAllows(Req("get", "configmaps", name: "other"), Rule(["get"], [""], ["configmaps"], ["mine"])));

    [Fact]
    public void Resource_names_allow_a_listed_name() =>
        Assert.True(PolicyRules.RuleAllows(Req("get", "configmaps", name: "mine"), Rule(["get"], [""], ["configmaps"], ["mine"])));

    [Fact]
    public void Resource_names_do_not_allow_a_list_which_names_nothing() =>
        Assert.False(PolicyRules.RuleAllows(Req("list", "configmaps"), Rule(["list"], [""], ["configmaps"], ["mine"])));

    [Fact]
    public void A_non_resource_url_matches_exactly() =>
        Assert.True(PolicyRules.RuleAllows(Path("get", "/healthz"), Rule(["get"], urls: ["/healthz"])));

    [Fact]
    public void A_non_resource_url_ending_in_star_matches_the_prefix() =>
        Assert.True(PolicyRules.RuleAllows(Path("get", "/apis/apps/v1"), Rule(["get"], urls: ["/apis/*"])));

    [Fact]
    public void A_resource_rule_does_not_allow_a_path() =>
        Assert.False(PolicyRules.RuleAllows(Path("get", "/healthz"), Rule(["get"], ["*"], ["*"])));

    [Fact]
    public void A_url_rule_does_not_allow_a_resource_request() =>
        Assert.False(PolicyRules.RuleAllows(Req("get", "configmaps"), Rule(["get"], urls: ["*"])));

    [Fact]
    public void An_access_request_splits_its_subresource_and_recognises_a_path()
    {
        var sub = RbacRequest.From(new AccessRequest("a", [], "get", "", "pods/log", "ns", "p"));
        Assert.Equal(("pods", "log"), (sub.Resource, sub.Subresource));
        Assert.False(RbacRequest.From(new AccessRequest("a", [], "get", "", "/version", "", "")).IsResourceRequest);
    }
}
