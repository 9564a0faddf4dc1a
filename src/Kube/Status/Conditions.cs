using k8s.Models;

namespace Vers.Kube.Status;

/// <summary>Port of apimachinery's meta.SetStatusCondition and friends.</summary>
public static class Conditions
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    /// <summary>
    /// Sets <paramref name="condition"/> in the list; lastTransitionTime changes only when the status
    /// flips. Answers whether anything changed.
    /// </summary>
    public static bool Set(IList<V1Condition> conditions, V1Condition condition, DateTime now)
    {
        condition.Message ??= "";
        var existing = conditions.FirstOrDefault(c => c.Type == condition.Type);
        if (existing is null)
        {
            if (condition.LastTransitionTime == default)
            {
                condition.LastTransitionTime = now;
            }

            conditions.Add(condition);
            return true;
        }

        var changed = false;
        if (existing.Status != condition.Status)
        {
            existing.Status = condition.Status;
            existing.LastTransitionTime = condition.LastTransitionTime == default ? now : condition.LastTransitionTime;
            changed = true;
        }

        if (existing.Reason != condition.Reason)
        {
            existing.Reason = condition.Reason;
            changed = true;
        }

        if (existing.Message != condition.Message)
        {
            existing.Message = condition.Message;
            changed = true;
        }

        if (existing.ObservedGeneration != condition.ObservedGeneration)
        {
            existing.ObservedGeneration = condition.ObservedGeneration;
            changed = true;
        }

        return changed;
    }

    public static V1Condition? Find(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(IEnumerable<V1Condition>? conditions, string type) =>
        Find(conditions, type)?.Status == True;

    public static bool Remove(IList<V1Condition> conditions, string type)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        return existing is not null && conditions.Remove(existing);
    }
}
