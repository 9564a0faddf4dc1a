using System.Text.Json.Nodes;
using k8s.Models;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Registry.Rbac;

/// <summary>
/// pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/strategy.go: names are path segments
/// (ValidateRBACName), rules and bindings as <see cref="RbacValidation"/> checks them.
/// </summary>
internal sealed class RoleStrategy(bool cluster) : TypedStrategy(cluster ? typeof(V1ClusterRole) : typeof(V1Role))
{
    public override IEnumerable<FieldError> ValidateName(string name) => NameRules.PathSegment(name, "metadata.name");

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateRole(obj);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old) => ValidateRole(updated);

    private List<FieldError> ValidateRole(JsonObject role)
    {
        var errors = ObjectMetaRules.Validate(role);
        RbacValidation.Rules(role, namespaced: !cluster, errors);
        if (cluster)
        {
            RbacValidation.AggregationRule(role, errors);
        }

        return errors;
    }
}

/// <summary>RoleBinding and ClusterRoleBinding: roleRef required and immutable, subjects by kind.</summary>
internal sealed class RoleBindingStrategy(bool cluster) : TypedStrategy(cluster ? typeof(V1ClusterRoleBinding) : typeof(V1RoleBinding))
{
    public override IEnumerable<FieldError> ValidateName(string name) => NameRules.PathSegment(name, "metadata.name");

    protected override void Default(ResourceType type, JsonObject obj) => RbacValidation.DefaultBinding(obj);

    public override IEnumerable<FieldError> Validate(StrategyContext ctx, JsonObject obj) => ValidateBinding(obj);

    public override IEnumerable<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject updated, JsonObject old)
    {
        var errors = ValidateBinding(updated);
        RbacValidation.RoleRefUnchanged(updated, old, errors);
        return errors;
    }

    private List<FieldError> ValidateBinding(JsonObject binding)
    {
        var errors = ObjectMetaRules.Validate(binding);
        RbacValidation.Binding(binding, namespaced: !cluster, errors);
        return errors;
    }
}
