using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry.Core;

namespace Vers.LocalCluster.ApiServer.Registry.Apps;

/// <summary>
/// pkg/apis/apps/validation/validation.go for Deployments: ValidateDeploymentSpec (with ValidateDeploymentStrategy,
/// ValidateRollingUpdateDeployment and ValidatePodTemplateSpecForReplicaSet), the apps/v1 selector immutability of
/// the strategy's ValidateUpdate, and ValidateDeploymentStatusUpdate. Metadata is the generic store's.
/// </summary>
internal static class DeploymentValidation
{
    public static List<FieldError> Validate(JsonObject obj) => Spec(obj["spec"], "spec");

    public static List<FieldError> ValidateUpdate(JsonObject updated, JsonObject old)
    {
        var errors = Spec(updated["spec"], "spec");

        // apivalidation.ValidateImmutableField compares with apiequality.Semantic: nil and empty maps and lists are equal.
        var selector = updated["spec"]?["selector"];
        if (!SameSelector(selector, old["spec"]?["selector"]))
        {
            errors.Add(FieldErrors.Invalid("spec.selector", selector is null ? "null" : GoValues.LabelSelector(selector), "field is immutable"));
        }

        return errors;
    }

    /// <summary>ValidateDeploymentSpec.</summary>
    private static List<FieldError> Spec(JsonNode? spec, string path)
    {
        var errors = new List<FieldError>(FieldErrors.NonNegative(FieldErrors.Int(spec?["replicas"]), path + ".replicas"));
        var selector = spec?["selector"] as JsonObject;
        var selectorErrors = LabelSelectors.Validate(selector, path + ".selector").ToList();
        if (selector is null)
        {
            errors.Add(FieldErrors.Required(path + ".selector"));
        }
        else
        {
            errors.AddRange(selectorErrors);
            if (LabelSelectors.IsEmpty(selector))
            {
                errors.Add(FieldErrors.Invalid(path + ".selector", GoValues.LabelSelector(selector), "empty selector is invalid for deployment"));
            }
        }

        // LabelSelectorAsSelector fails on what ValidateLabelSelector reports; a missing selector selects nothing.
        if (selectorErrors.Count > 0)
        {
            errors.Add(FieldErrors.Invalid(path + ".selector", GoValues.LabelSelector(selector), "invalid label selector"));
        }
        else
        {
            errors.AddRange(TemplateForReplicaSet(spec?["template"], selector, path + ".template"));
        }

        errors.AddRange(Strategy(spec?["strategy"], path + ".strategy"));
        var minReadySeconds = FieldErrors.Int(spec?["minReadySeconds"]) ?? 0;
        errors.AddRange(FieldErrors.NonNegative(minReadySeconds, path + ".minReadySeconds"));
        errors.AddRange(FieldErrors.NonNegative(FieldErrors.Int(spec?["revisionHistoryLimit"]), path + ".revisionHistoryLimit"));
        if (FieldErrors.Int(spec?["progressDeadlineSeconds"]) is { } deadline)
        {
            errors.AddRange(FieldErrors.NonNegative(deadline, path + ".progressDeadlineSeconds"));
            if (deadline <= minReadySeconds)
            {
                errors.Add(FieldErrors.Invalid(path + ".progressDeadlineSeconds", Number(deadline), "must be greater than minReadySeconds"));
            }
        }

        return errors;
    }

    /// <summary>ValidatePodTemplateSpecForReplicaSet: the selector matches the template's labels, the template is valid, restartPolicy Always.</summary>
    public static List<FieldError> TemplateForReplicaSet(JsonNode? template, JsonObject? selector, string path)
    {
        var errors = new List<FieldError>();
        var labels = template?["metadata"]?["labels"];

        // labels.Nothing() (no selector) is not Empty and matches nothing; labels.Everything() is Empty.
        if (selector is null || (!LabelSelectors.IsEmpty(selector) && !LabelSelectors.Matches(selector, labels)))
        {
            errors.Add(FieldErrors.Invalid(path + ".metadata.labels", GoValues.StringMap(labels), "`selector` does not match template `labels`"));
        }

        errors.AddRange(PodTemplateValidation.Validate(template, path));
        var restartPolicy = FieldErrors.Str(template?["spec"]?["restartPolicy"]) ?? "";
        if (restartPolicy != "Always")
        {
            errors.Add(FieldErrors.NotSupported(path + ".spec.restartPolicy", GoValues.Quote(restartPolicy), "Always"));
        }

        if (template?["spec"]?["activeDeadlineSeconds"] is not null)
        {
            errors.Add(FieldErrors.Forbidden(path + ".spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported"));
        }

        return errors;
    }

    /// <summary>ValidateDeploymentStrategy and ValidateRollingUpdateDeployment.</summary>
    private static IEnumerable<FieldError> Strategy(JsonNode? strategy, string path)
    {
        var rollingUpdate = strategy?["rollingUpdate"];
        switch (FieldErrors.Str(strategy?["type"]) ?? "")
        {
            case "Recreate":
                if (rollingUpdate is not null)
                {
                    yield return FieldErrors.Forbidden(path + ".rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
                }

                break;
            case "RollingUpdate" when rollingUpdate is null:
                yield return FieldErrors.Required(path + ".rollingUpdate", "this should be defaulted and never be nil");
                break;
            case "RollingUpdate":
                var at = path + ".rollingUpdate";
                var maxUnavailable = rollingUpdate["maxUnavailable"];
                var maxSurge = rollingUpdate["maxSurge"];
                foreach (var e in IntOrPercent.ValidatePositive(maxUnavailable, at + ".maxUnavailable")
                             .Concat(IntOrPercent.ValidatePositive(maxSurge, at + ".maxSurge")))
                {
                    yield return e;
                }

                if (IntOrPercent.Value(maxUnavailable) == 0 && IntOrPercent.Value(maxSurge) == 0)
                {
                    yield return FieldErrors.Invalid(at + ".maxUnavailable", GoValues.IntOrString(maxUnavailable), "may not be 0 when `maxSurge` is 0");
                }

                foreach (var e in IntOrPercent.NotMoreThan100Percent(maxUnavailable, at + ".maxUnavailable"))
                {
                    yield return e;
                }

                break;
            case var type:
                // The whole DeploymentStrategy is the bad value (a struct: %#v).
                var value = $"apps.DeploymentStrategy{{Type:{GoValues.Quote(type)}, RollingUpdate:{GoValues.Pointer("apps.RollingUpdateDeployment", rollingUpdate)}}}";
                yield return FieldErrors.NotSupported(path, value, "Recreate", "RollingUpdate");
                break;
        }
    }

    /// <summary>ValidateDeploymentStatusUpdate: ValidateDeploymentStatus, and collisionCount never decremented.</summary>
    public static List<FieldError> ValidateStatusUpdate(JsonObject updated, JsonObject old)
    {
        var status = updated["status"];
        long Field(string name) => FieldErrors.Int(status?[name]) ?? 0;
        var errors = new List<FieldError>();
        foreach (var name in (string[])["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"])
        {
            errors.AddRange(FieldErrors.NonNegative(Field(name), "status." + name));
        }

        var collisionCount = FieldErrors.Int(status?["collisionCount"]);
        errors.AddRange(FieldErrors.NonNegative(collisionCount, "status.collisionCount"));
        foreach (var name in (string[])["updatedReplicas", "readyReplicas", "availableReplicas"])
        {
            if (Field(name) > Field("replicas"))
            {
                errors.Add(FieldErrors.Invalid("status." + name, Number(Field(name)), "cannot be greater than status.replicas"));
            }
        }

        if (Field("availableReplicas") > Field("readyReplicas"))
        {
            errors.Add(FieldErrors.Invalid("status.availableReplicas", Number(Field("availableReplicas")), "cannot be greater than readyReplicas"));
        }

        // apivalidation.IsDecremented: an old count that is gone or lower now.
        if (FieldErrors.Int(old["status"]?["collisionCount"]) is { } oldCount && (collisionCount is null || collisionCount < oldCount))
        {
            errors.Add(FieldErrors.Invalid("status.collisionCount", Number(collisionCount ?? 0), "cannot be decremented"));
        }

        return errors;
    }

    private static bool SameSelector(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        static string Canonical(JsonNode s) =>
            string.Join(",", (s["matchLabels"] as JsonObject ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{GoValues.Quote(p.Key)}={GoValues.Quote(FieldErrors.Str(p.Value) ?? "")}"))
            + ";" + string.Join(",", FieldErrors.Items(s["matchExpressions"]).Select(e =>
                $"{GoValues.Quote(FieldErrors.Str(e.Item["key"]) ?? "")} {FieldErrors.Str(e.Item["operator"])} [{string.Join(",", (e.Item["values"] as JsonArray ?? []).Select(v => GoValues.Quote(FieldErrors.Str(v) ?? "")))}]"));
        return Canonical(a) == Canonical(b);
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
