using k8s.Models;
using Vers.Kube.Status;

namespace Vers.Kube.Tests.Status;

public sealed class ConditionsTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 10, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime T1 = T0.AddMinutes(5);

    private static V1Condition Ready(string status, string reason = "Working", string message = "m", long generation = 1) => new()
    {
        Type = "Ready",
        Status = status,
        Reason = reason,
        Message = message,
        ObservedGeneration = generation,
    };

    private static List<V1Condition> With(V1Condition condition)
    {
        var list = new List<V1Condition>();
        Conditions.Set(list, condition, T0);
        return list;
    }

    [Fact]
    public void A_new_condition_is_added_with_lastTransitionTime_now()
    {
        var list = new List<V1Condition>();

        var changed = Conditions.Set(list, Ready(Conditions.False), T0);

        Assert.True(changed);
        var condition = Assert.Single(list);
        Assert.Equal(T0, condition.LastTransitionTime);
    }

    [Fact]
    public void A_new_condition_keeps_a_lastTransitionTime_it_carries()
    {
        var list = new List<V1Condition>();
        var condition = Ready(Conditions.True);
        condition.LastTransitionTime = T1;

        Conditions.Set(list, condition, T0);

        Assert.Equal(T1, list.Single().LastTransitionTime);
    }

    [Fact]
    public void A_status_flip_moves_lastTransitionTime()
    {
        var list = With(Ready(Conditions.False));

        var changed = Conditions.Set(list, Ready(Conditions.True), T1);

        Assert.True(changed);
        Assert.Equal(Conditions.True, list.Single().Status);
        Assert.Equal(T1, list.Single().LastTransitionTime);
    }

    [Fact]
    public void The_same_status_keeps_lastTransitionTime_even_when_the_reason_changes()
    {
        var list = With(Ready(Conditions.False, reason: "Forking"));

        var changed = Conditions.Set(list, Ready(Conditions.False, reason: "Waiting"), T1);

        Assert.True(changed);
        Assert.Equal("Waiting", list.Single().Reason);
        Assert.Equal(T0, list.Single().LastTransitionTime);
    }

    [Fact]
    public void A_message_change_reports_changed()
    {
        var list = With(Ready(Conditions.False, message: "one"));

        Assert.True(Conditions.Set(list, Ready(Conditions.False, message: "two"), T1));
        Assert.Equal("two", list.Single().Message);
        Assert.Equal(T0, list.Single().LastTransitionTime);
    }

    [Fact]
    public void An_observedGeneration_change_reports_changed()
    {
        var list = With(Ready(Conditions.True, generation: 1));

        Assert.True(Conditions.Set(list, Ready(Conditions.True, generation: 2), T1));
        Assert.Equal(2, list.Single().ObservedGeneration);
        Assert.Equal(T0, list.Single().LastTransitionTime);
    }

    [Fact]
    public void Setting_an_identical_condition_reports_unchanged()
    {
        var list = With(Ready(Conditions.True));

        Assert.False(Conditions.Set(list, Ready(Conditions.True), T1));
        Assert.Equal(T0, list.Single().LastTransitionTime);
    }

    [Fact]
    public void A_null_message_is_stored_as_empty()
    {
        var list = new List<V1Condition>();
        var condition = Ready(Conditions.True);
        condition.Message = null;

        Conditions.Set(list, condition, T0);

        Assert.Equal("", list.Single().Message);
        Assert.False(Conditions.Set(list, Ready(Conditions.True, message: ""), T1));
    }

    [Fact]
    public void Conditions_of_other_types_are_left_alone()
    {
        var list = With(Ready(Conditions.True));
        Conditions.Set(list, new V1Condition { Type = "Degraded", Status = Conditions.False, Reason = "Fine", Message = "" }, T0);

        Conditions.Set(list, Ready(Conditions.False), T1);

        Assert.Equal(2, list.Count);
        Assert.Equal(T0, Conditions.Find(list, "Degraded")!.LastTransitionTime);
    }

    [Fact]
    public void Find_IsTrue_and_Remove_work_by_type()
    {
        var list = With(Ready(Conditions.True));

        Assert.True(Conditions.IsTrue(list, "Ready"));
        Assert.False(Conditions.IsTrue(list, "Other"));
        Assert.Null(Conditions.Find(null, "Ready"));
        Assert.True(Conditions.Remove(list, "Ready"));
        Assert.False(Conditions.Remove(list, "Ready"));
        Assert.Empty(list);
    }
}
